"""Automatic payments' models (imported by ``logis.payments.models``): a unit's enrolment and each invoice's
debit (docs/decisions/0031)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from logis.properties.models import PaymentMethod


class AutopayStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    STOPPED = "stopped", _("Stopped")
    REVOKED = "revoked", _("Revoked")


class AutopayEnrolment(models.Model):
    """A unit's automatic payment: each of its invoices published from ``created_at`` on is debited
    off-session on its due date (never before, once) with the saved payment method (a Canadian
    pre-authorized debit mandate or a card), after a notice at least 10 days ahead (docs/decisions/0031).

    One active enrolment per unit. Never deleted: stopping (the resident) or revoking (the bank, through
    Stripe's ``mandate.updated``) ends it and keeps its debits' history.
    """

    property = models.ForeignKey("properties.Property", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("properties.Unit", on_delete=models.PROTECT, related_name="autopay_enrolments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    customer_id = models.CharField(max_length=255)
    payment_method_id = models.CharField(max_length=255)
    mandate_id = models.CharField(max_length=255, blank=True)
    setup_session_id = models.CharField(max_length=255, unique=True)
    # The resident ticked « Inclure les factures déjà ouvertes »: the invoices open when it was turned on
    # are debited too, each announced 10 days ahead; otherwise only those published later (decision 0038).
    include_open = models.BooleanField(_("includes the invoices already open"), default=False)
    method = models.CharField(_("method"), max_length=16, choices=PaymentMethod.choices)
    # What the resident recognizes the account or card by (« •••• 6789 »); never the full number.
    method_label = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=AutopayStatus.choices, default=AutopayStatus.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    stopped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit"], condition=Q(status="active"), name="autopay_one_active_per_unit"
            )
        ]
        verbose_name = _("automatic payment")
        verbose_name_plural = _("automatic payments")

    def __str__(self) -> str:
        return f"autopay {self.pk} of unit {self.unit_id} ({self.status})"


class AutopayDebitStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    SUBMITTING = "submitting", _("Being sent")
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Not debited")


# A debit announced or on its way: the invoice is being paid by automatic payment, even after its due date
# (the 10-day notice, then the days a pre-authorized debit takes to clear). Late fees and automatic
# reminders leave such an invoice alone (docs/decisions/0038).
AUTOPAY_DEBIT_HELD = (
    AutopayDebitStatus.SCHEDULED,
    AutopayDebitStatus.SUBMITTING,
    AutopayDebitStatus.PENDING,
)


# Why a debit failed, as people read it (Stripe's codes; its messages are English only).
FAILURE_REASONS = {
    "insufficient_funds": _("insufficient funds"),
    "card_declined": _("card declined"),
    "account_closed": _("account closed"),
    "debit_not_authorized": _("debit not authorized"),
    "payment_method_unactivated": _("the debit agreement is no longer active"),
}


class AutopayDebit(models.Model):
    """One invoice's automatic debit: announced (``notice_sent_on``, the amount and ``debit_on``), then
    made once on ``debit_on`` (unique per invoice; the Stripe idempotency key is derived from the invoice)."""

    property = models.ForeignKey("properties.Property", on_delete=models.PROTECT, related_name="+")
    enrolment = models.ForeignKey(AutopayEnrolment, on_delete=models.PROTECT, related_name="debits")
    invoice = models.OneToOneField(
        "invoicing.Invoice", on_delete=models.PROTECT, related_name="autopay_debit"
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    notice_sent_on = models.DateField()
    debit_on = models.DateField(_("debit date"))
    status = models.CharField(
        _("status"), max_length=10, choices=AutopayDebitStatus.choices, default=AutopayDebitStatus.SCHEDULED
    )
    payment = models.OneToOneField(
        "payments.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="autopay_debit"
    )
    failure_code = models.CharField(max_length=64, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    # The NSF fee billed for this debit's failure (Paramètres > Paiements), once.
    nsf_invoice = models.OneToOneField(
        "invoicing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="nsf_fee_of"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-debit_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="autopay_debit_amount_positive")
        ]
        indexes = [
            models.Index(fields=["status", "debit_on"], name="autopay_debit_due"),
            # The latest debits of a property (Paiements > Paiement automatique), whatever its history.
            models.Index(fields=["property", "-debit_on", "-id"], name="autopay_debit_latest"),
        ]
        verbose_name = _("automatic debit")
        verbose_name_plural = _("automatic debits")

    def __str__(self) -> str:
        return f"autopay debit of invoice {self.invoice_id} ({self.status})"

    def failure_reason(self) -> str:
        """Why it failed, in the active language ("" unless it failed)."""
        if self.status != AutopayDebitStatus.FAILED:
            return ""
        return str(FAILURE_REASONS.get(self.failure_code, _("refused by the bank")))
