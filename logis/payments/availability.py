"""Whether a property offers online payment (Stripe Checkout, or the local fake in demo mode).

Light on purpose: pages, PDFs and emails ask it without importing the machinery of payments.
"""

from __future__ import annotations

from logis.payments import stripe_gateway
from logis.properties.models import ONLINE_METHODS, Property


def demo_mode() -> bool:
    """Online payment runs through the local fake (no real payment): say so wherever it is offered."""
    return stripe_gateway.demo_mode()


def online_methods(property: Property) -> list[str]:
    """The online methods the property accepts, card first: the Checkout Session offers these."""
    accepted = set(property.accepted_methods or [])
    return [str(m.value) for m in ONLINE_METHODS if m.value in accepted]


def online_payment_available(property: Property) -> bool:
    """Payments enabled, card or pre-authorized debit accepted, and Stripe (or the demo) configured."""
    return bool(property.payments_enabled and online_methods(property) and stripe_gateway.configured())
