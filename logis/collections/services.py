"""Reminders and late fees: policy changes, reminders (automatic and by hand) and late-fee invoices.

Two periodic jobs (registered in ``apps.py``, run every minute by ``manage.py run_scheduler``):

- ``send_due_reminders``: for each property with reminders enabled, one SQL query finds the open
  invoices with a balance due whose reminder date (due date − N or + M days, in the property's
  local dates) fell within the last ``CATCH_UP_DAYS`` days and that have no such reminder yet.
  Each one is queued once: the invoice row is locked, and the unique constraint on
  (invoice, kind, offset_days) is the backstop when two schedulers run at once.
- ``apply_late_fees``: for each property with late fees enabled (and payments enabled), one SQL
  query finds the invoices overdue beyond the grace period that are not late fees themselves and
  have no fee for the current period; each gets a new fee invoice (``create_invoice`` +
  ``publish_invoice`` as ``SYSTEM``), never an edit of the original. Unique (original, period).
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
import re
import string
import uuid
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, Value, When
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from logis.collections.models import (
    MAX_GRACE_DAYS,
    MAX_OFFSET_DAYS,
    MAX_OFFSETS,
    LateFee,
    LateFeeMode,
    LateFeePolicy,
    ReminderKind,
    ReminderPolicy,
    ReminderSent,
)
from logis.core import audit
from logis.core.dates import long_date, today_in
from logis.core.errors import DomainError, InvalidTransition, NotFound, ValidationError
from logis.core.money import MAX_AMOUNT, format_amount, quantize
from logis.core.permissions import SYSTEM, Action, Actor, require, user_or_none
from logis.invoicing.models import Invoice, InvoiceStatus, overdue_q
from logis.invoicing.services import create_invoice, publish_invoice
from logis.notifications.models import EmailMessage
from logis.notifications.services import (
    invoice_email_blocker,
    invoice_link,
    primary_resident,
    queue_resident_email,
)
from logis.payments.paylinks import email_pay_link, link_days
from logis.properties.models import Property, Resident

logger = logging.getLogger(__name__)

# A reminder missed because the scheduler was down is still sent up to this many days after its date
# (never later, and a "before" reminder never on or after the due date).
CATCH_UP_DAYS = 2
REMINDER_EMAIL_KIND = "invoice_reminder"
# Invoices handled per job run, all properties together: a backlog (late fees just enabled on a
# property with thousands of overdue invoices) is worked off over several runs, a minute apart,
# instead of one run holding the scheduler for many minutes. What is left stays due in SQL.
MAX_PER_RUN = 500
TITLE_PLACEHOLDERS = frozenset({"number", "title"})
TITLE_MAX = 200
MAX_RATE = Decimal("100")

# Why an automatic reminder was recorded without an email (shown on the invoice, translated).
SKIPPED_NO_RECIPIENT = "no_recipient"
SKIPPED_SUPERSEDED = "superseded"
SKIPPED_PUBLISHED_LATE = "published_late"
SKIPPED_REASONS = {
    SKIPPED_NO_RECIPIENT: gettext_lazy(
        "Not sent: the unit has no primary resident with a valid email address."
    ),
    SKIPPED_SUPERSEDED: gettext_lazy("Not sent: its date was missed and a later reminder was sent instead."),
    SKIPPED_PUBLISHED_LATE: gettext_lazy("Not sent: the invoice was published on or after that date."),
}


# --- Policies --------------------------------------------------------------------------------

_SEPARATORS = re.compile(r"[\s,;]+")


def parse_offsets(text: str, field: str) -> list[int]:
    """``"7, 3"`` -> ``[3, 7]``: distinct whole numbers of days in 1..60, at most 5; ValidationError else."""
    parts = [p for p in _SEPARATORS.split((text or "").strip()) if p]
    values: set[int] = set()
    for part in parts:
        if not part.isdigit() or not 1 <= int(part) <= MAX_OFFSET_DAYS:
            raise ValidationError(
                {
                    field: _("Enter whole numbers of days between 1 and %(max)d, separated by commas.")
                    % {"max": MAX_OFFSET_DAYS}
                }
            )
        values.add(int(part))
    if len(values) > MAX_OFFSETS:
        raise ValidationError({field: _("Enter at most %(max)d numbers of days.") % {"max": MAX_OFFSETS}})
    return sorted(values)


def _clean_offsets(values: list[int] | str, field: str) -> list[int]:
    if isinstance(values, str):
        return parse_offsets(values, field)
    return parse_offsets(", ".join(str(v) for v in values), field)


def update_reminder_policy(
    *,
    actor: Actor,
    property: Property,
    enabled: bool,
    days_before: list[int] | str,
    days_after: list[int] | str,
) -> ReminderPolicy:
    """Save the property's reminder policy (administrators: Settings > Payments rights)."""
    require(actor, Action.MANAGE_PAYMENT_SETTINGS, property)
    errors: dict[str, str] = {}
    before: list[int] = []
    after: list[int] = []
    for field, raw in (("days_before", days_before), ("days_after", days_after)):
        try:
            cleaned = _clean_offsets(raw, field)
        except ValidationError as exc:
            errors[field] = str(exc.errors[field][0])
        else:
            if field == "days_before":
                before = cleaned
            else:
                after = cleaned
    if not errors and enabled and not (before or after):
        errors["__all__"] = _("Enter at least one number of days before or after the due date.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        policy, _created = ReminderPolicy.objects.select_for_update().get_or_create(property=property)
        fields = ["enabled", "days_before", "days_after"]
        previous = audit.snapshot(policy, fields)
        policy.enabled = enabled
        policy.days_before = before
        policy.days_after = after
        policy.updated_by = user_or_none(actor)
        policy.save()
        audit.record(
            actor,
            "reminder_policy.updated",
            policy,
            property=property,
            before=previous,
            after=audit.snapshot(policy, fields),
        )
        return policy


def parse_rate(text: str) -> Decimal:
    """A percentage typed as ``18``, ``1,5`` or ``7.25 %``; ValidationError unless 0 < rate <= 100."""
    raw = (text or "").strip().rstrip("%").strip().replace(",", ".").replace("\u00a0", "").replace(" ", "")
    try:
        rate = Decimal(raw)
    except InvalidOperation:
        rate = Decimal("NaN")
    if not rate.is_finite() or rate <= 0 or rate > MAX_RATE or rate != rate.quantize(Decimal("0.01")):
        raise ValidationError(
            {
                "yearly_rate": _(
                    "Enter a yearly rate between 0 and 100 %, with at most two decimals (e.g. 18 or 7,5)."
                )
            }
        )
    return rate.quantize(Decimal("0.01"))


def check_title_pattern(pattern: str) -> str:
    """The pattern, trimmed; only ``{number}`` and ``{title}`` may appear between braces."""
    pattern = (pattern or "").strip()
    message = _("Use only {number} and {title} between braces.")
    try:
        names = {name for _text, name, _spec, _conv in string.Formatter().parse(pattern) if name is not None}
    except ValueError:
        raise ValidationError({"title_pattern": message}) from None
    if not names <= TITLE_PLACEHOLDERS:
        raise ValidationError({"title_pattern": message})
    if len(pattern) > TITLE_MAX:
        raise ValidationError(
            {"title_pattern": _("The title may have at most %(max)d characters.") % {"max": TITLE_MAX}}
        )
    return pattern


def update_late_fee_policy(
    *,
    actor: Actor,
    property: Property,
    enabled: bool,
    mode: str,
    fixed_amount: Decimal | None,
    yearly_rate: Decimal | None,
    grace_days: int | None,
    title_pattern: str = "",
    notify_resident: bool = True,
) -> LateFeePolicy:
    """Save the property's late-fee policy; the amount or rate its kind needs is required when enabled."""
    require(actor, Action.MANAGE_PAYMENT_SETTINGS, property)
    errors: dict[str, str] = {}
    if mode not in LateFeeMode.values:
        errors["mode"] = _("Choose the kind of fee.")
    if fixed_amount is not None and (
        fixed_amount <= 0 or fixed_amount > MAX_AMOUNT or fixed_amount != quantize(fixed_amount)
    ):
        errors["fixed_amount"] = _("The amount must be greater than $0.")
    elif fixed_amount is None and enabled and mode == LateFeeMode.FIXED:
        errors["fixed_amount"] = _("Enter the amount of the fee.")
    if yearly_rate is not None and (yearly_rate <= 0 or yearly_rate > MAX_RATE):
        errors["yearly_rate"] = _(
            "Enter a yearly rate between 0 and 100 %, with at most two decimals (e.g. 18 or 7,5)."
        )
    elif yearly_rate is None and enabled and mode == LateFeeMode.INTEREST:
        errors["yearly_rate"] = _("Enter the yearly interest rate.")
    if grace_days is None or not 0 <= grace_days <= MAX_GRACE_DAYS:
        errors["grace_days"] = _("Enter a number of days between 0 and %(max)d.") % {"max": MAX_GRACE_DAYS}
    try:
        title_pattern = check_title_pattern(title_pattern)
    except ValidationError as exc:
        errors["title_pattern"] = str(exc.errors["title_pattern"][0])
    if errors:
        raise ValidationError(errors)
    assert grace_days is not None
    with transaction.atomic():
        policy, _created = LateFeePolicy.objects.select_for_update().get_or_create(property=property)
        fields = [
            "enabled",
            "mode",
            "fixed_amount",
            "yearly_rate",
            "grace_days",
            "title_pattern",
            "notify_resident",
        ]
        previous = audit.snapshot(policy, fields)
        policy.enabled = enabled
        policy.mode = mode
        policy.fixed_amount = fixed_amount
        policy.yearly_rate = yearly_rate
        policy.grace_days = grace_days
        policy.title_pattern = title_pattern
        policy.notify_resident = notify_resident
        policy.updated_by = user_or_none(actor)
        policy.save()
        audit.record(
            actor,
            "late_fee_policy.updated",
            policy,
            property=property,
            before=previous,
            after=audit.snapshot(policy, fields),
        )
        return policy


# --- Reminder emails -------------------------------------------------------------------------


def render_reminder(
    *, invoice: Invoice, resident: Resident, language: str, today: dt.date
) -> tuple[str, str, str]:
    """Subject, plain text and HTML of a payment reminder, in ``language``, as of the local ``today``."""
    with translation.override(language):
        title = " ".join(invoice.title.split())
        due = long_date(invoice.due_date, language)
        days = (invoice.due_date - today).days
        overdue = days < 0
        if overdue:
            subject = _("Overdue invoice — %(title)s") % {"title": title}
            lead = ngettext(
                "This invoice was due on %(date)s and is %(days)d day overdue.",
                "This invoice was due on %(date)s and is %(days)d days overdue.",
                -days,
            ) % {"date": due, "days": -days}
        else:
            subject = _("Payment reminder — %(title)s") % {"title": title}
            if days == 0:
                lead = _("This invoice is due today, %(date)s.") % {"date": due}
            else:
                lead = ngettext(
                    "This invoice is due in %(days)d day, on %(date)s.",
                    "This invoice is due in %(days)d days, on %(date)s.",
                    days,
                ) % {"date": due, "days": days}
        context = {
            "subject": subject,
            "language": language,
            "lead": lead,
            "overdue": overdue,
            "resident_name": resident.name,
            "property_name": invoice.property.name,
            "unit": invoice.unit.number,
            "number": invoice.number,
            "title": invoice.title,
            "amount": format_amount(invoice.amount, language),
            "balance": format_amount(invoice.amount - invoice.amount_paid, language),
            "due_date": due,
            "link": invoice_link(invoice),
            "pay_link": email_pay_link(invoice=invoice, sent_to=resident.email or ""),
            "pay_link_days": link_days(),
        }
        text = render_to_string("collections/email/invoice_reminder.txt", context).strip() + "\n"
        html = render_to_string("collections/email/invoice_reminder.html", context)
    return subject[:255], text, html


def _queue_reminder_email(*, invoice: Invoice, key: str, today: dt.date) -> EmailMessage | None:
    """Queue the reminder in the caller's transaction (message + delivery task), or None if nobody to
    write to. The key makes it idempotent."""
    return queue_resident_email(
        invoice=invoice,
        key=key,
        kind=REMINDER_EMAIL_KIND,
        render=lambda person, language: render_reminder(
            invoice=invoice, resident=person, language=language, today=today
        ),
    )


def _locked_open_invoice(invoice_id: int, property: Property | None) -> Invoice:
    qs = Invoice.objects.select_for_update(of=("self",)).select_related("property", "unit")
    if property is not None:
        qs = qs.filter(property=property)
    invoice = qs.filter(pk=invoice_id).first()
    if invoice is None:
        raise NotFound(_("This invoice does not exist."))
    return invoice


def reminder_blocker(invoice: Invoice) -> str | None:
    """Why no reminder can be sent for this invoice now (translated), or None."""
    if invoice.status != InvoiceStatus.OPEN or invoice.amount_paid >= invoice.amount:
        return _("Reminders are only sent for open or overdue invoices with a balance due.")
    return invoice_email_blocker(invoice)


def send_manual_reminder(
    *,
    actor: Actor,
    invoice_id: int,
    property: Property | None = None,
    token: uuid.UUID | None = None,
    now: dt.datetime | None = None,
) -> ReminderSent:
    """Queue a reminder now, by hand (open or overdue invoice, resident with an email); the same
    ``token`` twice sends one reminder."""
    now = now or timezone.now()
    if token is not None:
        existing = ReminderSent.objects.filter(token=token).select_related("email").first()
        if existing is not None:
            if existing.invoice_id != invoice_id:
                raise ValidationError({"__all__": _("This form was already used. Reload the page.")})
            return existing
    with transaction.atomic():
        invoice = _locked_open_invoice(invoice_id, property)
        require(actor, Action.PUBLISH_INVOICE, invoice.property)
        blocker = reminder_blocker(invoice)
        if blocker is not None:
            raise InvalidTransition(blocker)
        today = today_in(invoice.property.timezone, now=now)
        key_token = token or uuid.uuid4()
        email = _queue_reminder_email(
            invoice=invoice, key=f"invoice-reminder:{invoice.pk}:manual:{key_token.hex}", today=today
        )
        assert email is not None
        reminder = ReminderSent.objects.create(
            property=invoice.property,
            invoice=invoice,
            kind=ReminderKind.MANUAL,
            offset_days=0,
            scheduled_for=today,
            email=email,
            sent_by=user_or_none(actor),
            token=token,
        )
        audit.record(
            actor,
            "reminder.sent",
            reminder,
            property=invoice.property,
            after={"invoice": invoice.pk, "kind": reminder.kind, "to": email.to_email},
        )
        return reminder


# --- The reminders job -----------------------------------------------------------------------


@dataclass(frozen=True)
class DueReminder:
    kind: str
    offset: int
    scheduled_for: dt.date


def _in_window(scheduled: dt.date, today: dt.date) -> bool:
    return scheduled <= today <= scheduled + dt.timedelta(days=CATCH_UP_DAYS)


def due_reminders(policy: ReminderPolicy, due_date: dt.date, today: dt.date) -> list[DueReminder]:
    """The automatic reminders of an invoice due on ``due_date`` whose catch-up window holds ``today``."""
    found = []
    if today < due_date:
        for n in policy.days_before:
            scheduled = due_date - dt.timedelta(days=n)
            if _in_window(scheduled, today):
                found.append(DueReminder(ReminderKind.BEFORE, n, scheduled))
    for n in policy.days_after:
        scheduled = due_date + dt.timedelta(days=n)
        if _in_window(scheduled, today):
            found.append(DueReminder(ReminderKind.AFTER, n, scheduled))
    return sorted(found, key=lambda r: r.scheduled_for)


def _not_recorded(kind: str, offset: int) -> Q:
    return ~Q(Exists(ReminderSent.objects.filter(invoice=OuterRef("pk"), kind=kind, offset_days=offset)))


def reminder_candidates(
    policy: ReminderPolicy, today: dt.date, limit: int = MAX_PER_RUN
) -> list[tuple[int, dt.date]]:
    """(id, due date) of the property's unpaid open invoices with an automatic reminder due and not
    recorded yet: one query, filtered by due-date windows in SQL."""
    catch_up = dt.timedelta(days=CATCH_UP_DAYS)
    windows = Q()
    for n in policy.days_before:
        offset = dt.timedelta(days=n)
        # scheduled = due - n within [today - catch_up, today], and the due date still ahead.
        windows |= Q(
            due_date__gte=today + offset - catch_up, due_date__lte=today + offset, due_date__gt=today
        ) & _not_recorded(ReminderKind.BEFORE, n)
    for n in policy.days_after:
        offset = dt.timedelta(days=n)
        windows |= Q(due_date__gte=today - offset - catch_up, due_date__lte=today - offset) & _not_recorded(
            ReminderKind.AFTER, n
        )
    if not windows:
        return []
    return list(
        Invoice.objects.filter(
            property_id=policy.property_id, status=InvoiceStatus.OPEN, amount_paid__lt=F("amount")
        )
        .filter(windows)
        .order_by("due_date", "pk")
        .values_list("pk", "due_date")[:limit]
    )


def _record_reminder(
    invoice: Invoice, due: DueReminder, today: dt.date, *, skipped: str = ""
) -> ReminderSent | None:
    """Record one automatic reminder (and queue its email) once; None if another run recorded it."""
    try:
        with transaction.atomic():
            reminder = ReminderSent.objects.create(
                property=invoice.property,
                invoice=invoice,
                kind=due.kind,
                offset_days=due.offset,
                scheduled_for=due.scheduled_for,
            )
    except IntegrityError:
        return None
    if skipped:
        reminder.skipped_reason = skipped
    else:
        email = _queue_reminder_email(
            invoice=invoice, key=f"invoice-reminder:{invoice.pk}:{due.kind}:{due.offset}", today=today
        )
        if email is None:
            reminder.skipped_reason = SKIPPED_NO_RECIPIENT
        reminder.email = email
    reminder.save(update_fields=["email", "skipped_reason"])
    audit.record(
        SYSTEM,
        "reminder.sent" if reminder.email_id else "reminder.skipped",
        reminder,
        property=invoice.property,
        after={
            "invoice": invoice.pk,
            "kind": due.kind,
            "offset_days": due.offset,
            "scheduled_for": due.scheduled_for,
            "skipped_reason": reminder.skipped_reason,
        },
    )
    return reminder


def _remind_invoice(policy: ReminderPolicy, invoice_id: int, today: dt.date) -> int:
    """Lock the invoice and record what is due for it: the latest due reminder is sent, older ones
    missed meanwhile are recorded as superseded (never sent late), and those dated on or before the
    day the invoice was published as not sent: the resident had no invoice to be reminded of yet,
    or just got the publish notice."""
    with transaction.atomic():
        invoice = (
            Invoice.objects.select_for_update(of=("self",))
            .select_related("property", "unit")
            .filter(pk=invoice_id, status=InvoiceStatus.OPEN, amount_paid__lt=F("amount"))
            .first()
        )
        if invoice is None:
            return 0
        done = set(
            ReminderSent.objects.filter(invoice=invoice)
            .exclude(kind=ReminderKind.MANUAL)
            .values_list("kind", "offset_days")
        )
        published = (
            timezone.localtime(invoice.published_at, ZoneInfo(invoice.property.timezone)).date()
            if invoice.published_at
            else None
        )
        pending = [
            r for r in due_reminders(policy, invoice.due_date, today) if (r.kind, r.offset) not in done
        ]
        for early in [r for r in pending if published is not None and published >= r.scheduled_for]:
            _record_reminder(invoice, early, today, skipped=SKIPPED_PUBLISHED_LATE)
        due = [r for r in pending if published is None or published < r.scheduled_for]
        if not due:
            return 0
        *older, latest = due
        for missed in older:
            _record_reminder(invoice, missed, today, skipped=SKIPPED_SUPERSEDED)
        reminder = _record_reminder(invoice, latest, today)
        return 1 if reminder is not None and reminder.email_id else 0


def send_due_reminders(*, now: dt.datetime) -> int:
    """Scheduled job: queue every automatic reminder due at ``now``, once (at most ``MAX_PER_RUN``
    invoices a run; the rest on the next runs). Returns how many emails were queued."""
    queued = 0
    budget = MAX_PER_RUN
    for policy in ReminderPolicy.objects.filter(enabled=True).select_related("property"):
        if not (policy.days_before or policy.days_after):
            continue
        if budget <= 0:
            break
        today = today_in(policy.property.timezone, now=now)
        candidates = reminder_candidates(policy, today, limit=budget)
        budget -= len(candidates)
        for invoice_id, _due in candidates:
            try:
                queued += _remind_invoice(policy, invoice_id, today)
            except Exception:
                logger.exception("Reminder for invoice %s failed", invoice_id)
    return queued


# --- Late fees -------------------------------------------------------------------------------


def add_months(value: dt.date, months: int) -> dt.date:
    """``value`` plus ``months`` calendar months, clamped to the month's last day (Jan 31 + 1 = Feb 29)."""
    index = value.month - 1 + months
    year, month = value.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(value.day, calendar.monthrange(year, month)[1]))


def first_fee_date(due_date: dt.date, grace_days: int) -> dt.date:
    """The first local date on which an unpaid invoice is overdue beyond its grace period."""
    return due_date + dt.timedelta(days=grace_days + 1)


@dataclass(frozen=True)
class FeePeriod:
    index: int
    start: dt.date
    end: dt.date | None  # None: a fixed fee, once per invoice


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
    months = (today.year - start.year) * 12 + today.month - start.month
    if add_months(start, months) > today:
        months -= 1
    return FeePeriod(months, add_months(start, months), add_months(start, months + 1))


def interest_for_month(balance: Decimal, yearly_rate: Decimal) -> Decimal:
    """balance × rate ÷ 12, the rate in percent, rounded to the cent (half up)."""
    return (balance * yearly_rate / Decimal(1200)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def smallest_billable_balance(yearly_rate: Decimal) -> Decimal | None:
    """The smallest balance (in cents) whose monthly interest is at least 0,01 $, or None at a 0 % rate:
    ``balance × rate ÷ 1200 ≥ 0.005`` ⇔ ``balance ≥ 6 ÷ rate``, rounded up to the cent."""
    if yearly_rate <= 0:
        return None
    cents = Decimal("0.01")
    threshold = max((Decimal(6) / yearly_rate).quantize(cents, rounding=ROUND_CEILING), cents)
    while interest_for_month(threshold, yearly_rate) <= 0:  # guard against rounding of the division
        threshold += cents
    while threshold > cents and interest_for_month(threshold - cents, yearly_rate) > 0:
        threshold -= cents
    return threshold


def fee_language(original: Invoice, prop: Property) -> str:
    """The fee invoice is read by the resident: the unit's primary resident's language when known,
    otherwise the property's (French by default)."""
    resident = primary_resident(original)
    for candidate in (resident.language if resident else "", prop.language):
        if candidate in ("fr", "en"):
            return candidate
    return "fr"


def rate_text(rate: Decimal, language: str) -> str:
    """``7,5`` (fr) / ``7.5`` (en): a percentage without trailing zeros."""
    text = f"{rate.normalize():f}"
    return text.replace(".", ",") if language == "fr" else text


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
    )
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
            "late_fee.applied",
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
