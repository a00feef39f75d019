"""``{% delivery_state message as state %}``: an email's delivery state for the badge partial."""

from __future__ import annotations

from django import template

from logis.notifications.delivery_state import DeliveryState
from logis.notifications.delivery_state import delivery_state as _delivery_state
from logis.notifications.models import EmailMessage

register = template.Library()


@register.simple_tag
def delivery_state(message: EmailMessage, tz_name: str | None = None) -> DeliveryState:
    """``tz_name`` (the property's zone) spares a query per message when the caller knows it."""
    return _delivery_state(message, tz_name=tz_name or None)
