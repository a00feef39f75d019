"""The property dashboard's reads: where the money stands and what needs doing, in a few fixed queries.

- **Ouvertes / En retard**: the Factures page's cards (``invoice_summary``), so both pages always agree.
- **Reçu ce mois-ci / Received this month**: the Paiements page's net (money received minus reversals,
  refunds and credit refunded to residents, ``payment_totals``) over the property's local calendar month
  up to today.
- **Brouillons / Drafts**: invoices not yet published (count and amount): nobody has been billed for them.
- **Due soon**: open invoices with a balance due today or within ``DUE_SOON_DAYS`` days.
- **Failed emails**: emails the worker gave up on in the last ``FAILED_EMAIL_DAYS`` days: the resident did not
  get their notice, someone should call or fix the address.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef
from django.utils import timezone

from logis.core.queries import count_of
from logis.invoicing.selectors import Card, InvoiceSummary, invoice_summary
from logis.notifications.models import DeliveryStatus, EmailMessage
from logis.payments.models import CreditKind, Payment, PaymentKind, PaymentStatus, UnitCredit
from logis.payments.selectors import PaymentFilters, credit_refund_list, payment_totals
from logis.properties.models import ONLINE_METHODS, Property

DUE_SOON_DAYS = 7
FAILED_EMAIL_DAYS = 30
RECENT = 5
CENT = Decimal("0.01")


@dataclass(frozen=True)
class DashboardOverview:
    today: dt.date
    summary: InvoiceSummary
    drafts: Card
    due_soon: Card
    due_soon_until: dt.date
    month_start: dt.date
    month_net: Decimal
    pending_payments: int
    recent_payments: list[Payment]
    failed_emails: list[EmailMessage]
    failed_email_count: int
    # Online payments that arrived beyond the balance due, their excess not refunded yet.
    overpaid: list[UnitCredit]

    @property
    def owed(self) -> Card:
        """What residents owe now: Ouvertes + En retard."""
        return Card(
            self.summary.open.amount + self.summary.overdue.amount,
            self.summary.open.count + self.summary.overdue.count,
        )

    @property
    def has_work(self) -> bool:
        return bool(
            self.drafts.count
            or self.due_soon.count
            or self.failed_email_count
            or self.pending_payments
            or self.overpaid
        )


def _overpaid(property: Property) -> list[UnitCredit]:
    """Credit left by online payments beyond the balance due whose payment was not refunded at all:
    the invoice's page offers the refund to the card (one query, few rows)."""
    refunded = Payment.objects.filter(reverses=OuterRef("payment"), kind=PaymentKind.REFUND)
    return list(
        UnitCredit.objects.filter(
            property=property,
            amount__gt=0,
            kind__in=[CreditKind.OVERPAYMENT, CreditKind.VOIDED_INVOICE],
            payment__kind=PaymentKind.PAYMENT,
            payment__method__in=[m.value for m in ONLINE_METHODS],
        )
        .exclude(Exists(refunded))
        .select_related("invoice", "unit")
        .order_by("-created_at", "-id")[:RECENT]
    )


def dashboard_overview(*, property: Property, today: dt.date) -> DashboardOverview:
    """Seven queries whatever the size of the property, six without failed emails (asserted in
    tests/reports/test_dashboard.py)."""
    soon_until = today + dt.timedelta(days=DUE_SOON_DAYS)
    summary = invoice_summary(property, today, due_soon_until=soon_until)
    assert summary.due_soon is not None
    month_start = today.replace(day=1)
    month = payment_totals(
        Payment.objects.filter(property=property, paid_on__range=(month_start, today)),
        credit_refund_list(property=property, filters=PaymentFilters(date_from=month_start, date_to=today)),
    )
    failed = EmailMessage.objects.filter(
        status=DeliveryStatus.FAILED, created_at__gte=timezone.now() - dt.timedelta(days=FAILED_EMAIL_DAYS)
    )
    # The two counts in one query; the failed emails themselves only when there are some.
    counts = (
        Property.objects.filter(pk=property.pk)
        .values(
            # Few rows, found by a partial index (payment_pending): never a scan of every payment.
            pending_count=count_of(
                Payment.objects.filter(property=OuterRef("pk"), status=PaymentStatus.PENDING)
            ),
            failed_count=count_of(failed.filter(property=OuterRef("pk"))),
        )
        .get()
    )
    return DashboardOverview(
        today=today,
        summary=summary,
        drafts=summary.drafts,
        due_soon=summary.due_soon,
        due_soon_until=soon_until,
        month_start=month_start,
        month_net=Decimal(month["net"]).quantize(CENT),
        pending_payments=counts["pending_count"],
        recent_payments=list(
            Payment.objects.filter(property=property)
            .select_related("invoice", "unit")
            .order_by("-paid_on", "-id")[:RECENT]
        ),
        failed_emails=list(
            failed.filter(property=property).select_related("invoice").order_by("-created_at", "-id")[:RECENT]
        )
        if counts["failed_count"]
        else [],
        failed_email_count=counts["failed_count"],
        overpaid=_overpaid(property),
    )
