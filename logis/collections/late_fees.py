"""Late fees: the scheduled job that bills them, each as a new invoice linked to the overdue one.

``apply_late_fees`` (registered in ``apps.py``, run every minute by ``manage.py run_scheduler``): for each
property with late fees enabled (and payments enabled), one SQL query finds the invoices overdue beyond the
grace period that are not late fees themselves and have no fee for the current period; each gets a new fee
invoice (``create_invoice`` + ``publish_invoice`` as ``SYSTEM``), never an edit of the original. Unique
(original, period). The arithmetic (periods, interest) is pure, in ``arithmetic``.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, Value, When
from django.utils import translation
from django.utils.translation import gettext as _

from logis.collections.arithmetic import (
    FeePeriod,
    first_fee_date,
    interest_for_month,
    monthly_period,
    rate_text,
    smallest_billable_balance,
)
from logis.collections.models import MAX_PER_RUN, LateFee, LateFeeMode, LateFeePolicy
from logis.collections.policies import TITLE_MAX
from logis.core import audit
from logis.core.audit import Verb
from logis.core.dates import long_date, today_in
from logis.core.errors import DomainError
from logis.core.money import format_amount
from logis.core.permissions import SYSTEM
from logis.finances.models import CategoryCode
from logis.invoicing.models import Invoice, overdue_q
from logis.invoicing.services import create_invoice, publish_invoice
from logis.payments.models import AUTOPAY_DEBIT_HELD, AutopayDebit
from logis.properties.models import Property
from logis.properties.selectors import primary_resident

logger = logging.getLogger(__name__)


def fee_period(mode: str, due_date: dt.date, grace_days: int, today: dt.date) -> FeePeriod | None:
    """The period ``today`` falls in, or None before the grace period is over.

    Fixed fee: period 0, with no end. Interest: period n runs from the first fee date plus n months
    to plus n + 1 months, so each month of lateness is charged once.
    """
    start = first_fee_date(due_date, grace_days)
    if today < start:
        return None
    if mode == LateFeeMode.FIXED:
        return FeePeriod(0, start, None)
    return monthly_period(start, today)


def fee_language(original: Invoice, prop: Property) -> str:
    """The fee invoice is read by the resident: the unit's primary resident's language when known,
    otherwise the property's (French by default)."""
    resident = primary_resident(original.unit)
    for candidate in (resident.language if resident else "", prop.language):
        if candidate in ("fr", "en"):
            return candidate
    return "fr"


def fee_title(policy: LateFeePolicy, original: Invoice) -> str:
    values = {"number": str(original.number or ""), "title": " ".join(original.title.split())}
    pattern = policy.title_pattern or _("Late fee — invoice no. {number}")
    try:
        title = pattern.format_map(values)
    except (KeyError, ValueError, IndexError):
        title = _("Late fee — invoice no. {number}").format_map(values)
    return title.strip()[:TITLE_MAX] or _("Late fee")


def _fee_description(
    policy: LateFeePolicy,
    original: Invoice,
    period: FeePeriod,
    balance: Decimal,
    amount: Decimal,
    language: str,
) -> str:
    values = {
        "number": original.number,
        "title": original.title,
        "due": long_date(original.due_date, language),
        "grace": policy.grace_days,
        "balance": format_amount(balance, language),
        "amount": format_amount(amount, language),
    }
    if period.end is None:
        return (
            _(
                "Late fee on invoice no. %(number)s (“%(title)s”), due on %(due)s, still unpaid after "
                "a grace period of %(grace)s days. Balance due then: %(balance)s."
            )
            % values
        )
    assert policy.yearly_rate is not None
    values.update(
        {
            "rate": rate_text(policy.yearly_rate, language),
            "start": long_date(period.start, language),
            "end": long_date(period.end - dt.timedelta(days=1), language),
        }
    )
    return (
        _(
            "Interest at %(rate)s %% a year on the overdue balance of %(balance)s of invoice no. %(number)s "
            "(“%(title)s”, due on %(due)s), for the month from %(start)s to %(end)s: "
            "%(balance)s × %(rate)s %% ÷ 12 = %(amount)s."
        )
        % values
    )


def late_fee_candidates(policy: LateFeePolicy, today: dt.date, limit: int = MAX_PER_RUN) -> list[int]:
    """Ids of the property's invoices that may need a fee now: overdue beyond the grace period, not
    a late fee themselves, without a fee (or a "nothing to bill" record) covering today. One query.

    Interest: the invoices whose interest is at least 0,01 $ come first, so a backlog of tiny balances
    (recorded as "nothing to bill", a few hundred a run) never delays a real fee."""
    fee_covering_today = LateFee.objects.filter(original=OuterRef("pk"))
    order: list[str] = ["due_date", "pk"]
    qs = (
        Invoice.objects.filter(overdue_q(today), property_id=policy.property_id)
        .filter(due_date__lt=today - dt.timedelta(days=policy.grace_days))
        .exclude(Exists(LateFee.objects.filter(fee_invoice=OuterRef("pk"))))
        # Being paid by automatic payment (decision 0038): the delay is the notice's and the bank's.
        .exclude(Exists(AutopayDebit.objects.filter(invoice=OuterRef("pk"), status__in=AUTOPAY_DEBIT_HELD)))
    )
    if policy.applies_from is not None:
        qs = qs.filter(due_date__gte=policy.applies_from)
    if policy.mode == LateFeeMode.INTEREST:
        fee_covering_today = fee_covering_today.filter(Q(period_end__isnull=True) | Q(period_end__gt=today))
        threshold = smallest_billable_balance(policy.yearly_rate or Decimal(0))
        if threshold is not None:
            qs = qs.annotate(
                tiny=Case(
                    When(amount__gte=F("amount_paid") + Value(threshold), then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                )
            )
            order = ["tiny", *order]
    return list(qs.exclude(Exists(fee_covering_today)).order_by(*order).values_list("pk", flat=True)[:limit])


def _apply_fee(policy: LateFeePolicy, invoice_id: int, today: dt.date, now: dt.datetime) -> LateFee | None:
    """Bill one fee for one overdue invoice in the current period, or nothing; all in one transaction.
    Returns the ``LateFee`` written (without ``fee_invoice`` when the interest rounds to 0,00 $), or None."""
    prop = policy.property
    with transaction.atomic():
        original = (
            Invoice.objects.select_for_update(of=("self",))
            .select_related("unit")
            .filter(overdue_q(today), pk=invoice_id, property=prop)
            .first()
        )
        if original is None or LateFee.objects.filter(fee_invoice=original).exists():
            return None  # paid, voided meanwhile, or itself a fee: never a fee on those
        if policy.applies_from is not None and original.due_date < policy.applies_from:
            return None  # due before the day fees start: never a fee
        period = fee_period(policy.mode, original.due_date, policy.grace_days, today)
        if period is None:
            return None
        existing = LateFee.objects.filter(original=original)
        if policy.mode == LateFeeMode.INTEREST:
            existing = existing.filter(Q(period_index=period.index) | Q(period_end__isnull=True))
        if existing.exists():
            return None
        balance = original.amount - original.amount_paid
        if policy.mode == LateFeeMode.FIXED:
            amount = policy.fixed_amount
        else:
            assert policy.yearly_rate is not None
            amount = interest_for_month(balance, policy.yearly_rate)
        if amount is None:
            return None
        if amount <= 0:
            # The interest rounds to 0,00 $: nothing to bill, but the period is done — recorded so the
            # invoice is not a candidate again until its next period (no invoice, no audit event).
            return LateFee.objects.create(
                property=prop,
                original=original,
                fee_invoice=None,
                period_index=period.index,
                period_start=period.start,
                period_end=period.end,
                mode=policy.mode,
                balance=balance,
                yearly_rate=policy.yearly_rate if policy.mode == LateFeeMode.INTEREST else None,
                amount=Decimal("0.00"),
            )
        language = fee_language(original, prop)
        # The title is read in the property's invoice list, beside titles typed in its language; the
        # description, which explains the fee to the resident, is in the resident's language.
        with translation.override(prop.language if prop.language in ("fr", "en") else "fr"):
            title = fee_title(policy, original)
        with translation.override(language):
            description = _fee_description(policy, original, period, balance, amount, language)
        fee = create_invoice(
            actor=SYSTEM,
            property=prop,
            unit_id=original.unit_id,
            title=title,
            amount=amount,
            # Payable at once; never before the real today (create_invoice refuses past due dates).
            due_date=max(today, today_in(prop.timezone)),
            description=description,
            notify_resident=policy.notify_resident,
            category_code=CategoryCode.LATE_FEE,
        )
        publish_invoice(actor=SYSTEM, invoice_id=fee.pk, now=now)
        late_fee = LateFee.objects.create(
            property=prop,
            original=original,
            fee_invoice=fee,
            period_index=period.index,
            period_start=period.start,
            period_end=period.end,
            mode=policy.mode,
            balance=balance,
            yearly_rate=policy.yearly_rate if policy.mode == LateFeeMode.INTEREST else None,
            amount=amount,
        )
        audit.record(
            SYSTEM,
            Verb.LATE_FEE_APPLIED,
            late_fee,
            property=prop,
            after=audit.snapshot(
                late_fee,
                ["original", "fee_invoice", "period_index", "period_start", "mode", "balance", "amount"],
            ),
        )
        return late_fee


def apply_late_fees(*, now: dt.datetime) -> int:
    """Scheduled job: bill the late fees due at ``now``, at most once per invoice and period (at
    most ``MAX_PER_RUN`` invoices a run; the rest on the next runs)."""
    applied = 0
    budget = MAX_PER_RUN
    policies = LateFeePolicy.objects.filter(enabled=True, property__payments_enabled=True).select_related(
        "property"
    )
    for policy in policies:
        if budget <= 0:
            break
        today = today_in(policy.property.timezone, now=now)
        candidates = late_fee_candidates(policy, today, limit=budget)
        budget -= len(candidates)
        for invoice_id in candidates:
            try:
                fee = _apply_fee(policy, invoice_id, today, now)
                if fee is not None and fee.fee_invoice_id is not None:
                    applied += 1
            except IntegrityError:
                # Another run billed this period at the same moment: that one stands.
                logger.warning("Late fee for invoice %s not applied", invoice_id, exc_info=True)
            except DomainError:
                logger.warning("Late fee for invoice %s not applied", invoice_id, exc_info=True)
    return applied
