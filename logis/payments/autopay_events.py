"""Autopay's Stripe events, added to ``stripe_events.HANDLERS`` by ``PaymentsConfig.ready`` (signature
checks, once-per-event and problems stay ``stripe_events.handle_event``'s):

- ``checkout.session.completed`` of a **setup** session: the enrolment (other sessions: the payment path);
- ``payment_intent.processing`` / ``succeeded`` / ``payment_failed``: a debit's payment (PaymentIntents
  that are not autopay debits, e.g. Checkout's own, are left to the Checkout events);
- ``mandate.updated``: a mandate no longer active stops its enrolment.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from logis.payments import autopay, autopay_debits

Handler = Callable[[Mapping[str, Any]], object]

INTENT_EVENTS = ("payment_intent.processing", "payment_intent.succeeded", "payment_intent.payment_failed")
MANDATE_UPDATED = "mandate.updated"


def _setup_or(payment_handler: Handler) -> Handler:
    def handle(session: Mapping[str, Any]) -> object:
        if session.get("mode") == "setup":
            return autopay.record_setup_completed(session)
        return payment_handler(session)

    return handle


def register(handlers: dict[str, Handler], completed: str) -> None:
    handlers[completed] = _setup_or(handlers[completed])
    for event_type in INTENT_EVENTS:
        handlers[event_type] = autopay_debits.record_intent
    handlers[MANDATE_UPDATED] = autopay.record_mandate_updated
