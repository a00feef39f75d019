"""Settling money on an invoice: the one place where what an invoice has received (``amount_paid``) and
its paid/open status change.

Every kind of money goes through ``settle``: a manual payment, an online payment (up to the balance due,
the excess becomes credit before it gets here), a credit application (positive); a reversal, a refund,
manual or online (negative). The rule, in one place:

- ``amount_paid`` moves by the signed amount and stays within 0 and the invoice's amount (the database
  constraint ``invoice_paid_within_amount`` is the backstop; a call that would leave it raises first);
- the status follows: an open invoice with nothing left due is paid (``paid_at`` now); a paid invoice
  that has money taken back is open again (``paid_at`` cleared). Drafts and voided invoices are never
  settled (a void's money is the unit's credit, ``logis.payments.credits``);
- the unit's receivable in the ledger moves by the same amount, in the entry the caller's event posts
  (``logis.ledger.posting``; no event open raises: money never moves outside the ledger);
- its Stripe Checkout Sessions still open now ask for the wrong amount: they are closed once the
  transaction commits (``checkout.balance_changed``), all but ``keep`` (the one being recorded).

Who calls checks their own rules first (the amount against the balance, the payment's state) and records
their audit events; ``settle`` locks the invoice row (again: the caller normally holds it already, taken
first, before any unit row) and re-reads it, so a stale copy of the invoice never settles wrong.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from logis.invoicing.models import Invoice, InvoiceStatus
from logis.ledger.posting import receivable_moved
from logis.payments.checkout import balance_changed

SETTLED_FIELDS = ["status", "amount_paid", "paid_at"]
ZERO = Decimal("0.00")


class SettlementError(ValueError):
    """A settlement that would break the rule: a caller forgot one of its own checks (a bug, not a
    person's mistake: the services refuse those with a ValidationError before)."""


def settle(invoice: Invoice, change: Decimal, *, keep_session: str = "") -> Invoice:
    """Move what ``invoice`` has received by ``change`` (> 0 money in, < 0 money taken back), set its
    status from it and save it. Updates the ``invoice`` instance given and returns it.

    Runs in the caller's transaction; locks the invoice row. ``keep_session``: the Checkout Session
    whose payment this is (left open, it is being recorded); every other open one is closed.
    """
    if change == 0:
        return invoice
    with transaction.atomic():
        locked = (
            Invoice.objects.select_for_update()
            .only("pk", "unit_id", "amount", *SETTLED_FIELDS)
            .get(pk=invoice.pk)
        )
        if locked.status not in (InvoiceStatus.OPEN, InvoiceStatus.PAID):
            raise SettlementError(f"Invoice {locked.pk} is {locked.status}: no money is settled on it.")
        amount_paid = locked.amount_paid + change
        if amount_paid < ZERO or amount_paid > locked.amount:
            raise SettlementError(
                f"Invoice {locked.pk}: {locked.amount_paid} received {change:+} would leave {amount_paid}, "
                f"outside 0..{locked.amount}."
            )
        invoice.amount = locked.amount
        invoice.amount_paid = amount_paid
        if amount_paid == locked.amount:
            if locked.status != InvoiceStatus.PAID:
                invoice.paid_at = timezone.now()
            else:
                invoice.paid_at = locked.paid_at
            invoice.status = InvoiceStatus.PAID
        else:
            invoice.status = InvoiceStatus.OPEN
            invoice.paid_at = None
        invoice.save(update_fields=[*SETTLED_FIELDS, "updated_at"])
        # The unit's receivable moves with it, in the ledger event the caller opened (decision 0029).
        receivable_moved(unit_id=locked.unit_id, received=change)
        balance_changed(invoice.pk, keep=keep_session)
        return invoice
