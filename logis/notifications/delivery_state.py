"""Delivery state as people read it: Queued / Sent / Failed, the reason and the next try, translated."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from logis.notifications.delivery import MAX_ATTEMPTS
from logis.notifications.models import DeliveryStatus, EmailMessage
from logis.notifications.outbox import INVOICE_VOIDED

StrOrPromise = str | Promise

ERROR_REASONS: dict[str, StrOrPromise] = {
    "connection_refused": gettext_lazy("The mail server refused the connection."),
    "timeout": gettext_lazy("The mail server did not answer in time."),
    "network": gettext_lazy("The mail server could not be reached."),
    "disconnected": gettext_lazy("The mail server closed the connection."),
    "auth": gettext_lazy("The mail server refused our credentials."),
    "recipient_refused": gettext_lazy("The mail server refused the recipient's address."),
    "smtp_error": gettext_lazy("The mail server returned an error."),
    "unexpected": gettext_lazy("Unexpected error while sending."),
    INVOICE_VOIDED: gettext_lazy("The invoice was voided before the email could be sent."),
}


@dataclass(frozen=True)
class DeliveryState:
    status: str
    label: str
    badge_class: str
    retrying: bool
    reason: str
    detail: str
    summary: str
    attempts: int
    next_attempt_at: dt.datetime | None
    sent_at: dt.datetime | None


def _when(value: dt.datetime, tz_name: str | None) -> str:
    local = timezone.localtime(value, ZoneInfo(tz_name)) if tz_name else timezone.localtime(value)
    return formats.date_format(local, "DATETIME_FORMAT")


def delivery_state(message: EmailMessage, *, tz_name: str | None = None) -> DeliveryState:
    """Queued / Sent / Failed with the reason and the next try, in the active language.

    While retrying, a message is still Queued: ``retrying`` is true and the summary says which
    attempt failed, why, and when the next one is due. Times are in ``tz_name`` (default: the
    message's property's zone — select_related("property") when listing).
    """
    if tz_name is None and message.property_id is not None:
        tz_name = message.property.timezone if message.property else None
    known = ERROR_REASONS.get(message.last_error_code)
    reason = str(known) if known is not None else message.last_error
    detail = message.last_error if known is not None else ""
    status = message.status
    if status == DeliveryStatus.SENT:
        label = pgettext("email delivery", "Sent")
        summary = (
            _("Sent on %(when)s.") % {"when": _when(message.sent_at, tz_name)} if message.sent_at else ""
        )
        return DeliveryState(
            status, label, "text-bg-success", False, "", "", summary, message.attempts, None, message.sent_at
        )
    if status == DeliveryStatus.FAILED:
        label = pgettext("email delivery", "Failed")
        summary = (
            reason
            if message.last_error_code == INVOICE_VOIDED
            else ngettext(
                "Not sent after %(count)s attempt: %(reason)s",
                "Not sent after %(count)s attempts: %(reason)s",
                message.attempts,
            )
            % {"count": message.attempts, "reason": reason}
        )
        return DeliveryState(
            status, label, "text-bg-danger", False, reason, detail, summary, message.attempts, None, None
        )
    label = pgettext("email delivery", "Queued")
    retrying = bool(message.last_error_code or message.last_error) and message.next_attempt_at is not None
    if retrying:
        assert message.next_attempt_at is not None
        summary = _("Attempt %(attempt)s of %(max)s failed: %(reason)s Next try: %(when)s.") % {
            "attempt": message.attempts,
            "max": MAX_ATTEMPTS,
            "reason": reason,
            "when": _when(message.next_attempt_at, tz_name),
        }
        badge = "text-bg-warning"
    else:
        summary = _("Waiting to be sent.")
        badge = "text-bg-secondary"
    return DeliveryState(
        status,
        label,
        badge,
        retrying,
        reason if retrying else "",
        detail if retrying else "",
        summary,
        message.attempts,
        message.next_attempt_at if retrying else None,
        None,
    )
