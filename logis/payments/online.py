"""Online payments through Stripe Checkout: the public face of the four modules that do the work.

- ``availability``: whether a property offers online payment (light: pages and PDFs ask it);
- ``checkout``: opening a Checkout Session for an invoice's balance due, closing the open ones when
  that balance changes (``balance_changed``);
- ``stripe_events``: recording what Stripe reports (webhooks, the payer's return), once whatever the order;
- ``online_refunds``: money given back through Stripe (from Logis or the Stripe dashboard).

Callers may import from here or from the module itself; nothing lives here.
"""

from __future__ import annotations

from logis.payments.availability import demo_mode, online_methods, online_payment_available
from logis.payments.checkout import (
    CURRENCY,
    SESSION_LIFETIME,
    OnlinePaymentProblem,
    PaymentProviderUnavailable,
    balance_changed,
    cents,
    expire_open_checkouts,
    from_cents,
    pending_online_payment,
    start_checkout,
)
from logis.payments.online_refunds import (
    overpayments_to_refund,
    record_charge_refunded,
    refund_online_payment,
    refundable_online,
    refunded_so_far,
)
from logis.payments.stripe_events import (
    ASYNC_FAILED,
    ASYNC_SUCCEEDED,
    CHARGE_REFUNDED,
    COMPLETED,
    HANDLERS,
    handle_event,
    queue_overpayment_emails,
    record_online_payment,
    record_session_expired,
    sync_checkout_session,
)

__all__ = [
    "ASYNC_FAILED",
    "ASYNC_SUCCEEDED",
    "CHARGE_REFUNDED",
    "COMPLETED",
    "CURRENCY",
    "HANDLERS",
    "SESSION_LIFETIME",
    "OnlinePaymentProblem",
    "PaymentProviderUnavailable",
    "balance_changed",
    "cents",
    "demo_mode",
    "expire_open_checkouts",
    "from_cents",
    "handle_event",
    "online_methods",
    "online_payment_available",
    "overpayments_to_refund",
    "pending_online_payment",
    "queue_overpayment_emails",
    "record_charge_refunded",
    "record_online_payment",
    "record_session_expired",
    "refund_online_payment",
    "refundable_online",
    "refunded_so_far",
    "start_checkout",
    "sync_checkout_session",
]
