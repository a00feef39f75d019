"""A thin wrapper over the official Stripe SDK: the few calls Logis makes, with plain dicts in and out.

Without ``STRIPE_SECRET_KEY`` Logis runs in **demo mode**: the same calls go, over HTTP, to the local
fake of Stripe mounted in Logis itself (``logis.payments.fake_stripe``, under ``/demo-stripe/``), with a
demo key and a demo webhook secret. Nothing here knows which one it talks to: only the base address
and the keys change.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from typing import Any

import stripe
from django.conf import settings

DEMO_SECRET_KEY = "sk_test_logis_demo_mode"  # noqa: S105 - not a secret: the local fake's key
DEMO_WEBHOOK_SECRET = "whsec_logis_demo_mode"  # noqa: S105 - the local fake's
DEMO_PREFIX = "/demo-stripe"
WEBHOOK_TOLERANCE = 300  # seconds: an older signature is refused (replay of a captured request)


class GatewayError(Exception):
    """Stripe (or the fake) could not be reached or refused the request."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.code = code


def demo_mode() -> bool:
    """No real Stripe key: online payment runs through the local fake, clearly labelled as a demo
    (unless ``STRIPE_DEMO=0``, which turns online payment off instead)."""
    return not settings.STRIPE_SECRET_KEY and bool(getattr(settings, "STRIPE_DEMO", True))


def configured() -> bool:
    """Online payment can run: a real key, or the demo."""
    return bool(settings.STRIPE_SECRET_KEY) or demo_mode()


def api_key() -> str:
    return str(settings.STRIPE_SECRET_KEY) or DEMO_SECRET_KEY


def api_base() -> str:
    """``STRIPE_API_BASE`` when set (tests, a proxy); in demo mode the fake inside Logis; else Stripe."""
    if settings.STRIPE_API_BASE:
        return str(settings.STRIPE_API_BASE).rstrip("/")
    if demo_mode():
        return str(settings.SITE_URL).rstrip("/") + DEMO_PREFIX
    return str(stripe.DEFAULT_API_BASE)


def webhook_secret() -> str:
    """The secret webhook signatures are checked with; empty (nothing verifies) if misconfigured."""
    if settings.STRIPE_WEBHOOK_SECRET:
        return str(settings.STRIPE_WEBHOOK_SECRET)
    return DEMO_WEBHOOK_SECRET if demo_mode() else ""


_clients: dict[tuple[str, str], stripe.StripeClient] = {}
_clients_lock = threading.Lock()


def client() -> stripe.StripeClient:
    """One SDK client per (key, base address); it keeps its HTTP connections between calls."""
    key = (api_key(), api_base())
    with _clients_lock:
        found = _clients.get(key)
        if found is None:
            # Retries are safe: every call that creates something carries an idempotency key.
            found = stripe.StripeClient(key[0], base_addresses={"api": key[1]}, max_network_retries=2)
            _clients[key] = found
        return found


def _plain(obj: Any) -> dict[str, Any]:
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def _call(description: str, fn: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    try:
        return _plain(fn(*args, **kwargs))
    except stripe.StripeError as exc:
        code = getattr(exc, "code", "") or ""
        raise GatewayError(f"{description}: {exc.user_message or exc}", code=str(code)) from exc


def create_checkout_session(*, params: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
    return _call(
        "Checkout Session",
        client().v1.checkout.sessions.create,
        params=params,  # type: ignore[arg-type]
        options={"idempotency_key": idempotency_key},
    )


def retrieve_checkout_session(session_id: str) -> dict[str, Any]:
    return _call("Checkout Session", client().v1.checkout.sessions.retrieve, session_id)


def expire_checkout_session(session_id: str) -> dict[str, Any]:
    """``POST /v1/checkout/sessions/{id}/expire``: the payer can no longer pay on that page. Stripe
    refuses it (GatewayError) when the session is no longer open (paid, or expired already)."""
    return _call("Checkout Session", client().v1.checkout.sessions.expire, session_id)


def create_refund(*, params: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
    return _call(
        "Refund",
        client().v1.refunds.create,
        params=params,  # type: ignore[arg-type]
        options={"idempotency_key": idempotency_key},
    )


def list_refunds(*, charge: str) -> list[dict[str, Any]]:
    """Every refund of a charge (a Stripe charge has few: one page of 100 is all of them)."""
    page = _call("Refunds", client().v1.refunds.list, params={"charge": charge, "limit": 100})
    return list(page.get("data", []))


def create_customer(*, params: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
    return _call(
        "Customer",
        client().v1.customers.create,
        params=params,  # type: ignore[arg-type]
        options={"idempotency_key": idempotency_key},
    )


def retrieve_setup_intent(setup_intent_id: str) -> dict[str, Any]:
    """A SetupIntent (autopay's Checkout in setup mode): the saved payment method and its mandate."""
    return _call("SetupIntent", client().v1.setup_intents.retrieve, setup_intent_id)


def retrieve_payment_method(payment_method_id: str) -> dict[str, Any]:
    return _call("PaymentMethod", client().v1.payment_methods.retrieve, payment_method_id)


def create_payment_intent(*, params: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
    """``POST /v1/payment_intents`` (autopay: ``off_session`` and ``confirm``). A refused card answers
    402: GatewayError with Stripe's code (``card_declined``…); no code means Stripe could not be reached."""
    return _call(
        "PaymentIntent",
        client().v1.payment_intents.create,
        params=params,  # type: ignore[arg-type]
        options={"idempotency_key": idempotency_key},
    )


def sign_payload(payload: str, secret: str, *, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header Stripe sends: ``t=…,v1=HMAC-SHA256(secret, f"{t}.{payload}")``."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def construct_event(payload: bytes, signature: str) -> dict[str, Any]:
    """Verify ``Stripe-Signature`` (HMAC-SHA256, at most 5 minutes old) and return the event as a dict.

    Raises ``stripe.SignatureVerificationError`` or ``ValueError`` (not JSON).
    """
    event = stripe.Webhook.construct_event(
        payload, signature, webhook_secret(), tolerance=WEBHOOK_TOLERANCE, api_key=api_key()
    )
    return _plain(event)
