"""Payment reminders: sent by hand, and the scheduled job that sends the automatic ones.

``send_due_reminders`` (registered in ``apps.py``, run every minute by ``manage.py run_scheduler``): for each
property with reminders enabled, one SQL query finds the open invoices with a balance due whose reminder
date (due date − N or + M days, in the property's local dates) fell within the last ``CATCH_UP_DAYS`` days
and that have no such reminder yet. Each one is queued once: the invoice row is locked, and the unique
constraint on (invoice, kind, offset_days) is the backstop when two schedulers run at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from logis.collections.models import MAX_PER_RUN, ReminderKind, ReminderPolicy, ReminderSent
from logis.core import audit
from logis.core.audit import Verb
from logis.core.dates import long_date, today_in
from logis.core.errors import InvalidTransition, NotFound, ValidationError
from logis.core.money import format_amount
from logis.core.permissions import SYSTEM, Action, Actor, require, user_or_none
from logis.invoicing.emails import invoice_email_blocker, invoice_link, queue_resident_email
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.notifications.models import EmailMessage
from logis.payments.models import AUTOPAY_DEBIT_HELD, AutopayDebit
from logis.payments.paylinks import email_pay_link, link_days
from logis.properties.models import Property, Resident
from logis.properties.setup import logo_url

logger = logging.getLogger(__name__)

# A reminder missed because the scheduler was down is still sent up to this many days after its date
# (never later, and a "before" reminder never on or after the due date).
CATCH_UP_DAYS = 2
REMINDER_EMAIL_KIND = "invoice_reminder"

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
            "logo_url": logo_url(invoice.property),
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
            Verb.REMINDER_SENT,
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
        # Being paid by automatic payment (decision 0038): no reminder to pay it.
        .exclude(Exists(AutopayDebit.objects.filter(invoice=OuterRef("pk"), status__in=AUTOPAY_DEBIT_HELD)))
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
        Verb.REMINDER_SENT if reminder.email_id else Verb.REMINDER_SKIPPED,
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
