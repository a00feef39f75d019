"""Paramètres > Rappels et frais de retard is one form over two policies: both are saved, or neither."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction

from logis.collections import policies
from logis.core.errors import ValidationError

if TYPE_CHECKING:
    from logis.core.permissions import Actor
    from logis.properties.models import Property


class PolicyErrors(Exception):
    """Either policy refused what was typed; nothing was saved. Each part's errors go beside its fields."""

    def __init__(self, *, reminder: ValidationError | None, late_fee: ValidationError | None) -> None:
        super().__init__("The reminder or late fee policy was refused.")
        self.reminder = reminder
        self.late_fee = late_fee


def update_collection_policies(
    *, actor: Actor, property: Property, reminder: dict[str, Any], late_fee: dict[str, Any]
) -> None:
    """Save the reminder policy and the late fee policy together; raise ``PolicyErrors`` (having saved
    neither) when either refuses its input, with the errors of both so the page shows all of them."""
    with transaction.atomic():
        reminder_error = late_fee_error = None
        try:
            policies.update_reminder_policy(actor=actor, property=property, **reminder)
        except ValidationError as exc:
            reminder_error = exc
        try:
            policies.update_late_fee_policy(actor=actor, property=property, **late_fee)
        except ValidationError as exc:
            late_fee_error = exc
        if reminder_error is not None or late_fee_error is not None:
            # Raised inside the transaction: a policy already saved is rolled back with it.
            raise PolicyErrors(reminder=reminder_error, late_fee=late_fee_error)
