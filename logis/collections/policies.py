"""Reminder and late-fee policies: what each property decided, checked and saved (administrators,
Settings > Payments rights). The jobs that act on them are in ``reminders`` and ``late_fees``."""

from __future__ import annotations

import datetime as dt
import re
import string
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from logis.collections.models import (
    MAX_GRACE_DAYS,
    MAX_OFFSET_DAYS,
    MAX_OFFSETS,
    LateFeeMode,
    LateFeePolicy,
    ReminderPolicy,
)
from logis.core import audit
from logis.core.audit import Verb
from logis.core.dates import date_range_error
from logis.core.errors import ValidationError
from logis.core.money import MAX_AMOUNT, quantize
from logis.core.permissions import Action, Actor, require, user_or_none
from logis.invoicing.rules import TITLE_MAX  # a late fee's title is an invoice's title
from logis.properties.models import Property

TITLE_PLACEHOLDERS = frozenset({"number", "title"})
MAX_RATE = Decimal("100")

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
            Verb.REMINDER_POLICY_UPDATED,
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
    applies_from: dt.date | None = None,
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
    if applies_from is not None and (error := date_range_error(applies_from)):
        errors["applies_from"] = error
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
            "applies_from",
        ]
        previous = audit.snapshot(policy, fields)
        policy.enabled = enabled
        policy.mode = mode
        policy.fixed_amount = fixed_amount
        policy.yearly_rate = yearly_rate
        policy.grace_days = grace_days
        policy.title_pattern = title_pattern
        policy.notify_resident = notify_resident
        policy.applies_from = applies_from
        policy.updated_by = user_or_none(actor)
        policy.save()
        audit.record(
            actor,
            Verb.LATE_FEE_POLICY_UPDATED,
            policy,
            property=property,
            before=previous,
            after=audit.snapshot(policy, fields),
        )
        return policy
