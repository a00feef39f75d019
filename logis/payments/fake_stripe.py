"""A local fake of the few Stripe endpoints Logis uses, as a plain WSGI application.

- ``POST /v1/checkout/sessions``, ``GET /v1/checkout/sessions/{id}``,
  ``POST /v1/checkout/sessions/{id}/expire``, ``POST /v1/refunds``, ``GET /v1/refunds?charge=…``:
  form-encoded requests as the official SDK sends them, JSON answers shaped like Stripe's, idempotency
  keys honoured, ``Authorization: Bearer sk_…`` required.
- ``GET /pay/{id}``: the hosted "checkout page", clearly labelled as a demo, with a **Pay** button that
  completes the session, sends the signed ``checkout.session.completed`` event to the webhook URL and
  redirects to ``success_url``, and a link back to ``cancel_url``.

It serves two purposes: the demo (``make run`` without Stripe keys: mounted inside Logis under
``/demo-stripe/`` by ``demo_view``) and the tests (a ``FakeStripe`` served on 127.0.0.1 in a thread; the SDK
makes real HTTP calls to it).

Where its objects live is a ``store``: in memory for the tests' instance (``MemoryStore``), in the database
for the demo (``DatabaseStore``, the ``FakeStripeObject`` model), so that every gunicorn worker serves the
same sessions and a restart loses none of them. Read-modify-write steps (paying, expiring, refunding) run
under ``store.locked()`` with the row read ``for_update``: two workers never pay one session twice.
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from logis.payments.fake_stripe_autopay import AutopayFake
from logis.payments.fake_stripe_pages import (
    WEBHOOK_URL_KEY,
    Environ,
    HostedPages,
    StartResponse,
    _base_url,
    _respond,
)
from logis.payments.fake_stripe_store import (
    CHARGE,
    EVENT,
    IDEMPOTENCY,
    REFUND,
    SESSION,
    FakeError,
    MemoryStore,
    Store,
    StoreView,
    _new_id,
    parse_form,
)


@dataclass
class Delivery:
    event_id: str
    url: str
    status: int | None
    error: str = ""


@dataclass
class FakeStripe(AutopayFake, HostedPages):
    """Stripe's sessions, payment intents, charges, refunds and the events they produce, in ``store``
    (autopay's customers, setup sessions, mandates and off-session PaymentIntents: ``AutopayFake``)."""

    webhook_secret: str = ""
    webhook_url: str = ""
    store: Store = field(default_factory=MemoryStore)
    deliveries: list[Delivery] = field(default_factory=list)
    # The last requests received (method, path, headers), for tests; bounded for a long demo.
    requests: deque[tuple[str, str, dict[str, str]]] = field(default_factory=lambda: deque(maxlen=500))
    _lock: threading.RLock = field(default_factory=threading.RLock)

    # --- What the store holds, by id (tests read these) --------------------------------------------

    @property
    def sessions(self) -> StoreView:
        return StoreView(self.store, SESSION)

    @property
    def charges(self) -> StoreView:
        return StoreView(self.store, CHARGE)

    @property
    def refunds(self) -> StoreView:
        return StoreView(self.store, REFUND)

    @property
    def events(self) -> list[dict[str, Any]]:
        return self.store.all(EVENT)

    # --- Objects -------------------------------------------------------------------------------

    def create_session(self, params: dict[str, Any], *, base_url: str) -> dict[str, Any]:
        if params.get("mode") == "setup":
            return self.create_setup_session(params, base_url=base_url)
        if params.get("mode") != "payment":
            raise FakeError(400, "Only mode=payment is supported by this fake.", code="parameter_invalid")
        items = params.get("line_items") or []
        if not items:
            raise FakeError(400, "line_items is required.", code="parameter_missing")
        amount = 0
        currency = ""
        names = []
        for item in items:
            price = item.get("price_data") or {}
            try:
                unit_amount = int(price["unit_amount"])
                quantity = int(item.get("quantity", 1))
            except (KeyError, ValueError) as exc:
                raise FakeError(400, "price_data[unit_amount] must be an integer.") from exc
            if unit_amount <= 0:
                raise FakeError(400, "unit_amount must be positive.", code="parameter_invalid_integer")
            amount += unit_amount * quantity
            currency = str(price.get("currency", "")).lower()
            names.append(str((price.get("product_data") or {}).get("name", "")))
        for url_name in ("success_url", "cancel_url"):
            if not str(params.get(url_name, "")).startswith(("http://", "https://")):
                raise FakeError(400, f"{url_name} must be an absolute URL.", code="url_invalid")
        methods = params.get("payment_method_types") or ["card"]
        for method in methods:
            if method not in ("card", "acss_debit"):
                raise FakeError(400, f"payment method {method} is not supported by this fake.")
        if "acss_debit" in methods and currency != "cad":
            raise FakeError(400, "acss_debit needs currency cad.")
        session_id = _new_id("cs")
        session = {
            "id": session_id,
            "object": "checkout.session",
            "amount_subtotal": amount,
            "amount_total": amount,
            "cancel_url": params["cancel_url"],
            "client_reference_id": params.get("client_reference_id"),
            "created": int(time.time()),
            "currency": currency,
            "customer_email": params.get("customer_email"),
            "expires_at": int(time.time()) + 24 * 3600,
            "livemode": False,
            "locale": params.get("locale"),
            "metadata": dict(params.get("metadata") or {}),
            "mode": "payment",
            "payment_intent": None,
            "payment_method_options": params.get("payment_method_options") or {},
            "payment_method_types": list(methods),
            "payment_status": "unpaid",
            "status": "open",
            "success_url": params["success_url"],
            "url": f"{base_url}/pay/{session_id}",
            "_line_item_names": names,
        }
        self.store.put(SESSION, session_id, session)
        return self._public(session)

    @staticmethod
    def _public(obj: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in obj.items() if not k.startswith("_")}

    def _session(self, session_id: str, *, for_update: bool = False) -> dict[str, Any]:
        session = self.store.get(SESSION, session_id, for_update=for_update)
        if session is None:
            raise FakeError(404, f"No such checkout.session: '{session_id}'", code="resource_missing")
        return session

    def get_session(self, session_id: str) -> dict[str, Any]:
        return self._public(self._session(session_id))

    def complete_session(self, session_id: str, *, method: str = "") -> dict[str, Any]:
        """The payer confirms on the hosted page. A card is paid at once; a pre-authorized debit stays
        unpaid until ``settle_debit``. Returns the ``checkout.session.completed`` event."""
        with self.store.locked():
            session = self._session(session_id, for_update=True)
            if session["status"] != "open":
                raise FakeError(400, "This Checkout Session is no longer open.", code="session_not_open")
            method = method or session["payment_method_types"][0]
            if method not in session["payment_method_types"]:
                raise FakeError(400, f"{method} is not offered by this session.")
            intent_id = _new_id("pi")
            charge_id = _new_id("ch")
            paid = method == "card"
            session.update(
                status="complete", payment_status="paid" if paid else "unpaid", payment_intent=intent_id
            )
            session["_method"] = method
            session["_charge"] = charge_id
            self.store.put(SESSION, session_id, session)
            charge = {
                "id": charge_id,
                "object": "charge",
                "amount": session["amount_total"],
                "amount_refunded": 0,
                "currency": session["currency"],
                "payment_intent": intent_id,
                "paid": paid,
                "refunded": False,
                "status": "succeeded" if paid else "pending",
                "payment_method_details": {"type": method},
            }
            self.store.put(CHARGE, charge_id, charge, parent=intent_id)
            return self._event("checkout.session.completed", self._public(session))

    def settle_debit(self, session_id: str, *, succeeded: bool = True) -> dict[str, Any]:
        """Days later, the pre-authorized debit clears (or fails): the async event."""
        with self.store.locked():
            session = self._session(session_id, for_update=True)
            charge = self.store.get(CHARGE, session["_charge"], for_update=True)
            assert charge is not None
            if succeeded:
                session["payment_status"] = "paid"
                charge.update(paid=True, status="succeeded")
                event_type = "checkout.session.async_payment_succeeded"
            else:
                charge.update(status="failed")
                event_type = "checkout.session.async_payment_failed"
            self.store.put(SESSION, session_id, session)
            self.store.put(CHARGE, charge["id"], charge)
            return self._event(event_type, self._public(session))

    def expire_session(self, session_id: str) -> dict[str, Any]:
        """``POST /v1/checkout/sessions/{id}/expire``: only an open session can be expired; the payer then
        sees that the page is closed and cannot pay. Sends ``checkout.session.expired``."""
        with self.store.locked():
            session = self._session(session_id, for_update=True)
            if session["status"] != "open":
                raise FakeError(
                    400,
                    f"Only Checkout Sessions with a status in [open] can be expired; this one is "
                    f"{session['status']}.",
                    code="checkout_session_not_open",
                )
            session["status"] = "expired"
            self.store.put(SESSION, session_id, session)
            self._event("checkout.session.expired", self._public(session))
            return self._public(session)

    def _charge_for(self, *, charge: str = "", payment_intent: str = "") -> dict[str, Any]:
        if charge:
            found = self.store.get(CHARGE, charge, for_update=True)
        else:
            found = next(iter(self.store.children(CHARGE, payment_intent)), None)
            if found is not None:
                found = self.store.get(CHARGE, found["id"], for_update=True)
        if found is None:
            raise FakeError(404, "No such charge or payment_intent.", code="resource_missing")
        return found

    def create_refund(self, params: dict[str, Any]) -> dict[str, Any]:
        """A refund of (part of) a charge. The ``charge.refunded`` event it causes is returned by
        ``last_event`` (Stripe sends it asynchronously, after the API call answered)."""
        with self.store.locked():
            charge = self._charge_for(
                charge=str(params.get("charge", "")), payment_intent=str(params.get("payment_intent", ""))
            )
            if not charge["paid"]:
                raise FakeError(400, "This charge has not succeeded: it cannot be refunded.")
            left = charge["amount"] - charge["amount_refunded"]
            amount = int(params.get("amount") or left)
            if amount <= 0 or amount > left:
                raise FakeError(
                    400,
                    f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left}).",
                    code="amount_too_large",
                )
            refund = {
                "id": _new_id("re"),
                "object": "refund",
                "amount": amount,
                "charge": charge["id"],
                "created": int(time.time()),
                "currency": charge["currency"],
                "metadata": dict(params.get("metadata") or {}),
                "payment_intent": charge["payment_intent"],
                "reason": params.get("reason"),
                "status": "succeeded",
            }
            self.store.put(REFUND, refund["id"], refund, parent=charge["id"])
            charge["amount_refunded"] += amount
            charge["refunded"] = charge["amount_refunded"] == charge["amount"]
            self.store.put(CHARGE, charge["id"], charge)
            self._event("charge.refunded", self._charge_with_refunds(charge))
            return refund

    def _charge_with_refunds(self, charge: dict[str, Any]) -> dict[str, Any]:
        data = self.store.children(REFUND, charge["id"])
        return {**charge, "refunds": {"object": "list", "data": data, "has_more": False}}

    def list_refunds(self, query: dict[str, str]) -> dict[str, Any]:
        charge = query.get("charge")
        data = self.store.children(REFUND, charge) if charge else self.store.all(REFUND)
        return {"object": "list", "data": data, "has_more": False, "url": "/v1/refunds"}

    def charge_of_session(self, session_id: str) -> str:
        return str(self._session(session_id)["_charge"])

    # --- Events --------------------------------------------------------------------------------

    def _event(self, type_: str, obj: dict[str, Any]) -> dict[str, Any]:
        event_id = _new_id("evt")
        event: dict[str, Any] = {
            "id": event_id,
            "object": "event",
            "api_version": "2025-09-30.clover",
            "created": int(time.time()),
            "data": {"object": json.loads(json.dumps(obj))},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": type_,
        }
        self.store.put(EVENT, event_id, event, parent=type_)
        return event

    def last_event(self, type_: str) -> dict[str, Any]:
        return self.store.children(EVENT, type_)[-1]

    def deliver(self, event: dict[str, Any], *, url: str = "") -> Delivery:
        """POST the event, signed as Stripe signs it, to the webhook URL."""
        from logis.payments.stripe_gateway import sign_payload

        url = url or self.webhook_url
        body = json.dumps(event)
        request = urllib.request.Request(  # noqa: S310 - our own webhook URL, http(s)
            url,
            data=body.encode(),
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": sign_payload(body, self.webhook_secret),
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310 - our own URL
                delivery = Delivery(event["id"], url, response.status)
        except urllib.error.HTTPError as exc:
            delivery = Delivery(event["id"], url, exc.code, exc.read().decode(errors="replace")[:500])
        except OSError as exc:
            delivery = Delivery(event["id"], url, None, str(exc))
        with self._lock:
            self.deliveries.append(delivery)
        return delivery

    # --- HTTP ----------------------------------------------------------------------------------

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        path = environ.get("PATH_INFO", "") or "/"
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length).decode() if length else ""
        query = dict(parse_qsl(environ.get("QUERY_STRING", "")))
        base_url = _base_url(environ)
        with self._lock:
            self.requests.append((method, path, {"Idempotency-Key": environ.get("HTTP_IDEMPOTENCY_KEY", "")}))
        try:
            if path.startswith("/v1/"):
                status, payload = self._api(environ, method, path, body, query, base_url)
                return _respond(start_response, status, json.dumps(payload), "application/json")
            match = re.fullmatch(r"/pay/([A-Za-z0-9_]+)/?", path)
            if match:
                return self._hosted_page(environ, start_response, method, match.group(1), body)
            raise FakeError(404, f"Unrecognized request URL ({method}: {path}).")
        except FakeError as exc:
            error = {"error": {"type": exc.type, "message": exc.message, "code": exc.code or None}}
            return _respond(start_response, exc.status, json.dumps(error), "application/json")

    def _api(
        self, environ: Environ, method: str, path: str, body: str, query: dict[str, str], base_url: str
    ) -> tuple[int, dict[str, Any]]:
        auth = environ.get("HTTP_AUTHORIZATION", "")
        if not re.fullmatch(r"Bearer sk_(test|live)_\S+", auth):
            raise FakeError(401, "Invalid API Key provided.", type_="invalid_request_error")
        key = environ.get("HTTP_IDEMPOTENCY_KEY", "")
        if method == "POST" and key:
            cached = self.store.get(IDEMPOTENCY, f"{path}:{key}")
            if cached is not None:
                return int(cached["status"]), dict(cached["payload"])
        params = parse_form(body) if method == "POST" else query
        if method == "POST" and path == "/v1/checkout/sessions":
            result = (200, self.create_session(params, base_url=base_url))
        elif method == "GET" and (m := re.fullmatch(r"/v1/checkout/sessions/([A-Za-z0-9_]+)", path)):
            result = (200, self.get_session(m.group(1)))
        elif method == "POST" and (m := re.fullmatch(r"/v1/checkout/sessions/([A-Za-z0-9_]+)/expire", path)):
            result = (200, self.expire_session(m.group(1)))
        elif method == "POST" and path == "/v1/refunds":
            result = (200, self.create_refund(params))
        elif method == "GET" and path == "/v1/refunds":
            result = (200, self.list_refunds(query))
        elif (autopay := self.autopay_api(method, path, params, base_url)) is not None:
            result = (200, autopay[0])
            # Sent once the answer is stored (a retry with the same key finds it and sends nothing).
            self._send_later(environ, autopay[1])
        else:
            raise FakeError(404, f"Unrecognized request URL ({method}: {path}).")
        if method == "POST" and key:
            # A concurrent twin stored its answer first: that one stands (as Stripe answers).
            stored = self.store.put_if_absent(
                IDEMPOTENCY, f"{path}:{key}", {"status": result[0], "payload": result[1]}
            )
            return int(stored["status"]), dict(stored["payload"])
        return result

    def _send_later(self, environ: Environ, event_ids: list[str]) -> None:
        url = environ.get(WEBHOOK_URL_KEY) or self.webhook_url
        if not url or not event_ids:
            return
        events = [self.store.get(EVENT, event_id) for event_id in event_ids]

        def send() -> None:
            for event in events:
                if event is not None:
                    self.deliver(event, url=url)

        # As Stripe does: after the API call answered (the caller records what it asked for first).
        threading.Timer(0.2, send).start()
