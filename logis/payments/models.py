from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils.translation import gettext_lazy as _

from logis.properties.models import PaymentMethod

# The longest payment note (forms, API, services and a database constraint).
NOTE_MAX = 500

# Credit of the unit's account applied to an invoice: not money received, so not a method a property
# accepts (it stays out of PaymentMethod, which the payment settings offer).
CREDIT_METHOD = "credit"
# What a manager records by hand (the other methods are online, through Stripe, or the unit's credit).
MANUAL_METHODS = (PaymentMethod.CHEQUE, PaymentMethod.INTERAC, PaymentMethod.CASH, PaymentMethod.OTHER)
METHOD_CHOICES = [*PaymentMethod.choices, (CREDIT_METHOD, _("Account credit"))]


class PaymentKind(models.TextChoices):
    PAYMENT = "payment", _("Payment")
    REVERSAL = "reversal", _("Reversal")
    REFUND = "refund", _("Refund")


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class Payment(models.Model):
    """Money received for (or given back on) an invoice. Never deleted: mistakes are reversed.

    ``amount`` is always positive; a reversal or refund lowers the invoice's ``amount_paid``.
    """

    property = models.ForeignKey("properties.Property", on_delete=models.PROTECT, related_name="payments")
    unit = models.ForeignKey("properties.Unit", on_delete=models.PROTECT, related_name="payments")
    invoice = models.ForeignKey("invoicing.Invoice", on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(
        _("kind"), max_length=10, choices=PaymentKind.choices, default=PaymentKind.PAYMENT
    )
    status = models.CharField(
        _("status"), max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.SUCCEEDED
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    paid_on = models.DateField(_("date"))
    method = models.CharField(_("method"), max_length=16, choices=METHOD_CHOICES)
    reference = models.CharField(_("reference"), max_length=120, blank=True)
    note = models.TextField(_("note"), blank=True)
    reverses = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversals"
    )
    provider_payment_id = models.CharField(max_length=255, blank=True)
    provider_session_id = models.CharField(max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The form (or API request) that recorded it: the same one sent twice records one payment.
    request_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    # One share of a remittance (money received once for several invoices, decision 0032), and the rule
    # of imputation that gave it this amount (logis.payments.imputation.Rule); blank for the others.
    remittance = models.ForeignKey(
        "payments.Remittance", null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    imputation = models.CharField(_("imputation"), max_length=16, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-paid_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("note"), NOTE_MAX), name="payment_note_length"
            ),
            models.UniqueConstraint(
                fields=["provider_payment_id", "kind"],
                condition=~Q(provider_payment_id=""),
                name="provider_payment_recorded_once",
            ),
        ]
        indexes = [
            # The newest first (dashboard, Paiements, API): the id breaks ties within a day, so LIMIT stops
            # after a page instead of sorting every payment of the last day (1,501 in the bench).
            models.Index(fields=["property", "-paid_on", "-id"]),
            models.Index(fields=["invoice"]),
            # The dashboard counts debits still clearing: a handful among hundreds of thousands.
            models.Index(fields=["property"], condition=Q(status="pending"), name="payment_pending"),
        ]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} ({self.get_method_display()})"

    def has_receipt(self) -> bool:
        """A receipt (page, PDF, email) exists for money received that went through, never for a reversal
        or a refund, nor for a debit still pending or failed. A method, not a property: the model's
        ``property`` field hides the builtin in this class; templates call it alike (``p.has_receipt``)."""
        return self.kind == PaymentKind.PAYMENT and self.status == PaymentStatus.SUCCEEDED


class Remittance(models.Model):
    """Money received once for several invoices of one unit (one cheque, one transfer, one card payment of
    the whole balance): its shares are ordinary ``Payment`` rows, one per invoice, applied by the rules of
    imputation (Civil Code of Québec, art. 1569–1572; ``logis.payments.imputation``); what no invoice
    needed is the unit's credit (``excess``). Never deleted: reversing it reverses all its payments.
    """

    class Rule(models.TextChoices):
        DESIGNATED = "designated", _("As the payer chose")
        DEFAULT = "default", _("Late fees and interest first, then the oldest amounts")

    property = models.ForeignKey("properties.Property", on_delete=models.PROTECT, related_name="remittances")
    unit = models.ForeignKey("properties.Unit", on_delete=models.PROTECT, related_name="remittances")
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    paid_on = models.DateField(_("date"))
    method = models.CharField(_("method"), max_length=16, choices=METHOD_CHOICES)
    reference = models.CharField(_("reference"), max_length=120, blank=True)
    note = models.TextField(_("note"), blank=True)
    payer = models.CharField(_("payer"), max_length=200, blank=True)
    rule = models.CharField(_("imputation"), max_length=16, choices=Rule.choices)
    # The invoices the payer named (ids, in their order), empty when the default rule applied.
    designated = models.JSONField(default=list, blank=True)
    excess = models.DecimalField(_("credit to the account"), max_digits=12, decimal_places=2, default=0)
    provider_payment_id = models.CharField(max_length=255, blank=True)
    provider_session_id = models.CharField(max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    request_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    reversed_at = models.DateTimeField(null=True, blank=True)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reversal_reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-paid_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="remittance_amount_positive"),
            models.CheckConstraint(
                condition=Q(excess__gte=0) & Q(excess__lte=models.F("amount")),
                name="remittance_excess_within",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("note"), NOTE_MAX), name="remittance_note_length"
            ),
            # One remittance per Stripe payment (« Payer le solde », decision 0036): its shares carry no
            # provider id (Payment allows one row per id), the remittance does, once.
            models.UniqueConstraint(
                fields=["provider_payment_id"],
                condition=~Q(provider_payment_id=""),
                name="remittance_provider_payment_once",
            ),
        ]
        indexes = [models.Index(fields=["unit", "-paid_on"])]
        verbose_name = _("payment for several invoices")
        verbose_name_plural = _("payments for several invoices")

    def __str__(self) -> str:
        return f"remittance {self.pk} {self.amount} ({self.get_method_display()})"


class CreditKind(models.TextChoices):
    VOIDED_INVOICE = "voided_invoice", _("Payments of a voided invoice")
    OVERPAYMENT = "overpayment", _("Overpayment")
    APPLIED = "applied", _("Applied to an invoice")
    RETURNED = "returned", _("Credit application reversed")
    REFUNDED = "refunded", _("Refunded")
    # Credit the unit had when it started on Logis (an import's opening balance); a negative entry of
    # this kind takes it back when the import is undone.
    OPENING_BALANCE = "opening_balance", _("Opening balance")
    # The excess of a remittance taken back when the remittance is reversed (decision 0032).
    REMITTANCE_REVERSED = "remittance_rev", _("Payment for several invoices reversed")


class UnitCredit(models.Model):
    """One entry of a unit's credit ledger. Never deleted; the unit's credit is the sum of its entries.

    Positive: credit added (payments of a voided invoice, an overpayment, a credit application reversed).
    Negative: credit applied to an invoice (``payment`` is the CREDIT payment) or refunded.
    """

    property = models.ForeignKey("properties.Property", on_delete=models.PROTECT, related_name="credits")
    unit = models.ForeignKey("properties.Unit", on_delete=models.PROTECT, related_name="credits")
    kind = models.CharField(_("kind"), max_length=16, choices=CreditKind.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    # How a refunded credit was given back (cheque, transfer, cash); blank for other entries.
    method = models.CharField(_("method"), max_length=16, choices=METHOD_CHOICES, blank=True)
    invoice = models.ForeignKey(
        "invoicing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="credits"
    )
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="credits"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="unit_credit_amount_not_zero")]
        indexes = [models.Index(fields=["unit", "-created_at"])]
        verbose_name = _("unit credit")
        verbose_name_plural = _("unit credits")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"


class CheckoutSessionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    COMPLETE = "complete", _("Complete")
    EXPIRED = "expired", _("Expired")


class CheckoutSession(models.Model):
    """A Stripe Checkout Session Logis opened for an invoice: what the payer was asked to pay.

    The webhook and the return page check what Stripe reports against this row (same invoice, same
    amount), so a session Logis did not open, or one whose amount differs, never becomes a payment.
    """

    session_id = models.CharField(max_length=255, unique=True)
    property = models.ForeignKey("properties.Property", on_delete=models.PROTECT, related_name="+")
    # The one invoice a single-invoice session pays; null for « Payer le solde » (several invoices of
    # ``unit``, listed in ``CheckoutSessionInvoice``: docs/decisions/0036).
    invoice = models.ForeignKey(
        "invoicing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="checkout_sessions"
    )
    unit = models.ForeignKey(
        "properties.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # « Payer le solde » with some invoices unticked: the payer designated the others (art. 1569).
    designated = models.BooleanField(default=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="cad")
    payment_method_types = models.JSONField(default=list)
    status = models.CharField(
        _("status"), max_length=10, choices=CheckoutSessionStatus.choices, default=CheckoutSessionStatus.OPEN
    )
    payment_status = models.CharField(max_length=24, blank=True)
    url = models.URLField(max_length=2000, blank=True)
    demo = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["invoice", "-created_at"])]
        verbose_name = _("checkout session")
        verbose_name_plural = _("checkout sessions")

    def __str__(self) -> str:
        return self.session_id


class CheckoutSessionInvoice(models.Model):
    """One invoice a « Payer le solde » session was opened for, with the balance it had then (what the
    payer chose, art. 1569). Closing the sessions of an invoice whose balance changed finds these too."""

    session = models.ForeignKey(CheckoutSession, on_delete=models.PROTECT, related_name="lines")
    invoice = models.ForeignKey(
        "invoicing.Invoice", on_delete=models.PROTECT, related_name="balance_checkout_lines"
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["session", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "invoice"], name="checkout_invoice_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="checkout_invoice_amount_positive"),
        ]
        verbose_name = _("invoice of a checkout session")
        verbose_name_plural = _("invoices of checkout sessions")

    def __str__(self) -> str:
        return f"{self.session_id}: invoice {self.invoice_id} {self.amount}"


class WebhookEvent(models.Model):
    """A Stripe event processed once: its id is unique, so a redelivery (or a concurrent one) is a no-op."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=64)
    outcome = models.CharField(max_length=16)  # processed, ignored, problem
    detail = models.TextField(blank=True)
    property = models.ForeignKey(
        "properties.Property", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("Stripe event")
        verbose_name_plural = _("Stripe events")

    def __str__(self) -> str:
        return f"{self.type} {self.event_id} ({self.outcome})"


class FakeStripeObject(models.Model):
    """An object of the demo's local fake of Stripe (a session, a charge, a refund, an event, an
    idempotency key's answer), kept in the database so that every worker process sees the same ones
    and a restart keeps them. Only the demo writes here (``fake_stripe.DatabaseStore``)."""

    kind = models.CharField(max_length=16)
    object_id = models.CharField(max_length=255)
    # What the object belongs to, to find it from there: a charge's PaymentIntent, a refund's charge,
    # an event's type.
    parent = models.CharField(max_length=255, blank=True)
    data = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="fake_stripe_object_unique")
        ]
        indexes = [models.Index(fields=["kind", "parent"], name="fake_stripe_by_parent")]
        verbose_name = "demo Stripe object"

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"


class PayLink(models.Model):
    """A « Voir et payer » link of one published invoice, sent in its emails: it opens that invoice and
    lets whoever holds it pay, without signing in, until it expires or a manager revokes it.

    Only the SHA-256 of the token is stored (the email is the one place the token exists); the link also
    names the invoice, so a token shown with another invoice's number finds nothing (docs/decisions/0025).
    """

    invoice = models.ForeignKey("invoicing.Invoice", on_delete=models.CASCADE, related_name="pay_links")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # To whom the email carrying it went (empty when unknown): shown to the manager, never to the payer.
    sent_to = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["invoice", "-created_at"], name="pay_link_by_invoice")]
        verbose_name = _("pay link")
        verbose_name_plural = _("pay links")

    def __str__(self) -> str:
        return f"pay link {self.pk} of invoice {self.invoice_id}"


class PaymentTotal(models.Model):
    """What the payments of one property add up to per kind, status and method: a handful of summary rows
    kept by database triggers on ``payments_payment`` in the same transaction as every write of a payment
    (migration 0011; docs/decisions/0033). The Paiements totals with no filter read them instead of every
    payment of the property. Never written by Python: ``logis.payments.totals`` reads and checks them."""

    # No database foreign key: see ``InvoiceTotal`` (a deferred key check at commit would queue behind a
    # publisher's lock on the property row).
    property = models.ForeignKey(
        "properties.Property", on_delete=models.CASCADE, db_constraint=False, related_name="+"
    )
    kind = models.CharField(max_length=10)
    status = models.CharField(max_length=10)
    method = models.CharField(max_length=16)
    payment_count = models.IntegerField(default=0)
    amount = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0.00"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["property", "kind", "status", "method"], name="payment_total_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.property_id} {self.kind} {self.status} {self.method}: {self.amount}"


# Automatic payments (decision 0031) live in their own module.
from logis.payments.autopay_models import (  # noqa: E402
    AUTOPAY_DEBIT_HELD,
    FAILURE_REASONS,
    AutopayDebit,
    AutopayDebitStatus,
    AutopayEnrolment,
    AutopayStatus,
)

__all__ = [
    "AUTOPAY_DEBIT_HELD",
    "CREDIT_METHOD",
    "FAILURE_REASONS",
    "MANUAL_METHODS",
    "METHOD_CHOICES",
    "NOTE_MAX",
    "AutopayDebit",
    "AutopayDebitStatus",
    "AutopayEnrolment",
    "AutopayStatus",
    "CheckoutSession",
    "CheckoutSessionInvoice",
    "CheckoutSessionStatus",
    "CreditKind",
    "FakeStripeObject",
    "PayLink",
    "Payment",
    "PaymentKind",
    "PaymentStatus",
    "PaymentTotal",
    "Remittance",
    "UnitCredit",
    "WebhookEvent",
]
