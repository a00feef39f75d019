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

import html
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from logis.core.money import format_amount
from logis.payments.fake_stripe_autopay import AUTOPAY_KINDS, AutopayFake

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
Environ = dict[str, Any]
WEBHOOK_URL_KEY = "fake_stripe.webhook_url"


class FakeError(Exception):
    def __init__(self, status: int, message: str, *, type_: str = "invalid_request_error", code: str = ""):
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type_
        self.code = code


def _new_id(prefix: str) -> str:
    return f"{prefix}_test_{secrets.token_hex(12)}"


def parse_form(body: str) -> dict[str, Any]:
    """``a[b][0][c]=1`` (Stripe's form encoding) into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+", key)
        node: dict[str, Any] = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        if parts:
            node[parts[-1]] = value
    return _listify(root)


def _listify(node: Any) -> Any:
    if isinstance(node, dict):
        if node and all(k.isdigit() for k in node):
            return [_listify(node[k]) for k in sorted(node, key=int)]
        return {k: _listify(v) for k, v in node.items()}
    return node


# --- Where the fake's objects live -----------------------------------------------------------------

SESSION, CHARGE, REFUND, EVENT, IDEMPOTENCY = "session", "charge", "refund", "event", "idempotency"
KINDS = (SESSION, CHARGE, REFUND, EVENT, IDEMPOTENCY, *AUTOPAY_KINDS)


class MemoryStore:
    """The objects of one process, in dicts (the tests' fake, served in a thread)."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[str, dict[str, Any]]] = {kind: {} for kind in KINDS}
        self.parents: dict[tuple[str, str], str] = {}
        self._lock = threading.RLock()

    @contextmanager
    def locked(self) -> Iterator[None]:
        with self._lock:
            yield

    def get(self, kind: str, object_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
        return self.tables[kind].get(object_id)

    def put(self, kind: str, object_id: str, obj: dict[str, Any], *, parent: str = "") -> None:
        with self._lock:
            self.tables[kind][object_id] = obj
            if parent:
                self.parents[(kind, object_id)] = parent

    def put_if_absent(self, kind: str, object_id: str, obj: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            return self.tables[kind].setdefault(object_id, obj)

    def children(self, kind: str, parent: str) -> list[dict[str, Any]]:
        with self._lock:
            return [o for i, o in self.tables[kind].items() if self.parents.get((kind, i)) == parent]

    def all(self, kind: str) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.tables[kind].values())


class DatabaseStore:
    """The objects in the database (``FakeStripeObject``): shared by every process of the demo."""

    @contextmanager
    def locked(self) -> Iterator[None]:
        with transaction.atomic():
            yield

    @staticmethod
    def _rows(kind: str) -> Any:
        from logis.payments.models import FakeStripeObject

        return FakeStripeObject.objects.filter(kind=kind)

    def get(self, kind: str, object_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
        rows = self._rows(kind).filter(object_id=object_id)
        if for_update:
            rows = rows.select_for_update()
        row = rows.only("data").first()
        return dict(row.data) if row is not None else None

    def put(self, kind: str, object_id: str, obj: dict[str, Any], *, parent: str = "") -> None:
        from logis.payments.models import FakeStripeObject

        with transaction.atomic():
            updated = self._rows(kind).filter(object_id=object_id).update(data=obj)
            if not updated:
                FakeStripeObject.objects.create(kind=kind, object_id=object_id, parent=parent, data=obj)

    def put_if_absent(self, kind: str, object_id: str, obj: dict[str, Any]) -> dict[str, Any]:
        from logis.payments.models import FakeStripeObject

        try:
            with transaction.atomic():
                FakeStripeObject.objects.create(kind=kind, object_id=object_id, data=obj)
                return obj
        except IntegrityError:
            found = self.get(kind, object_id)
            assert found is not None
            return found

    def children(self, kind: str, parent: str) -> list[dict[str, Any]]:
        return [
            dict(d)
            for d in self._rows(kind).filter(parent=parent).order_by("id").values_list("data", flat=True)
        ]

    def all(self, kind: str) -> list[dict[str, Any]]:
        return [dict(d) for d in self._rows(kind).order_by("id").values_list("data", flat=True)]


Store = MemoryStore | DatabaseStore


class StoreView(Mapping[str, dict[str, Any]]):
    """The objects of one kind by id, read from the store each time (a live view, like a dict's)."""

    def __init__(self, store: Store, kind: str) -> None:
        self.store = store
        self.kind = kind

    def __getitem__(self, object_id: str) -> dict[str, Any]:
        found = self.store.get(self.kind, object_id)
        if found is None:
            raise KeyError(object_id)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter([str(o["id"]) for o in self.store.all(self.kind)])

    def __len__(self) -> int:
        return len(self.store.all(self.kind))


@dataclass
class Delivery:
    event_id: str
    url: str
    status: int | None
    error: str = ""


@dataclass
class FakeStripe(AutopayFake):
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

    def _hosted_page(
        self, environ: Environ, start_response: StartResponse, method: str, session_id: str, body: str
    ) -> Iterable[bytes]:
        session = self.get_session(session_id)
        if session.get("mode") == "setup":
            return self._hosted_setup_page(environ, start_response, method, session, body)
        if method == "POST":
            form = dict(parse_qsl(body))
            settle = form.get("action") == "settle"
            if (settle and not self._debit_pending(session_id)) or (
                not settle and session["status"] != "open"
            ):
                # Paid already (the back button, a second tab): show the page as it is now.
                location = f"{_base_url(environ)}/pay/{session_id}"
                start_response("303 See Other", [("Location", location), ("Content-Length", "0")])
                return [b""]
            if settle:
                event = self.settle_debit(session_id, succeeded=form.get("outcome") == "succeeded")
            else:
                event = self.complete_session(session_id, method=form.get("method", ""))
            url = environ.get(WEBHOOK_URL_KEY) or self.webhook_url
            if url:
                self.deliver(event, url=url)
            target = str(session["success_url"]).replace("{CHECKOUT_SESSION_ID}", session_id)
            if self._debit_pending(session_id):
                # The demo lets the person see the debit clear (or fail) instead of waiting days.
                target = f"{_base_url(environ)}/pay/{session_id}"
            start_response("303 See Other", [("Location", target), ("Content-Length", "0")])
            return [b""]
        return _respond(start_response, 200, self._render_page(session), "text/html")

    def _hosted_setup_page(
        self, environ: Environ, start_response: StartResponse, method: str, session: dict[str, Any], body: str
    ) -> Iterable[bytes]:
        if method == "POST" and session["status"] == "open":
            form = dict(parse_qsl(body))
            event = self.complete_setup(
                session["id"],
                method=form.get("method", ""),
                account_number=form.get("account_number", "") if form.get("method") != "card" else "",
                card_number=form.get("card_number", "") if form.get("method") == "card" else "",
            )
            url = environ.get(WEBHOOK_URL_KEY) or self.webhook_url
            if url:
                self.deliver(event, url=url)
            target = str(session["success_url"]).replace("{CHECKOUT_SESSION_ID}", session["id"])
            start_response("303 See Other", [("Location", target), ("Content-Length", "0")])
            return [b""]
        return _respond(start_response, 200, self.render_setup_page(session), "text/html")

    def _debit_pending(self, session_id: str) -> bool:
        session = self._session(session_id)
        charge = self.store.get(CHARGE, session["_charge"]) if session.get("_charge") else None
        return bool(charge and session["status"] == "complete" and charge["status"] == "pending")

    def _render_page(self, session: dict[str, Any]) -> str:
        esc = html.escape
        # Translated outside the f-strings: xgettext does not look inside them.
        text = {
            "banner": _("Demo mode — no real payment"),
            "title": _("Demo checkout"),
            "closed": _("This payment page is no longer open."),
            "method": _("Payment method"),
            "pay": _("Pay"),
            "cancel": _("Cancel and go back"),
            "debit": _(
                "Pre-authorized debit authorized. A real debit takes a few business days to clear; "
                "in this demo, choose what happens."
            ),
            "cleared": _("The debit clears"),
            "failed": _("The debit fails"),
            "later": _("Return to Logis (the debit stays pending)"),
        }
        labels = {"card": _("Card"), "acss_debit": _("Pre-authorized debit")}
        amount = format_amount(Decimal(session["amount_total"]) / 100)
        names = self._session(session["id"]).get("_line_item_names") or []
        if self._debit_pending(session["id"]):
            success = str(session["success_url"]).replace("{CHECKOUT_SESSION_ID}", session["id"])
            body = (
                f"<p>{esc(text['debit'])}</p>"
                f'<form method="post"><input type="hidden" name="action" value="settle">'
                f'<button type="submit" name="outcome" value="succeeded">{esc(text["cleared"])}</button> '
                f'<button type="submit" name="outcome" value="failed">{esc(text["failed"])}</button></form>'
                f'<p style="margin-top:1rem"><a href="{esc(success)}">{esc(text["later"])}</a></p>'
            )
        elif session["status"] != "open":
            body = f'<p role="alert">{esc(text["closed"])}</p>'
        else:
            options = "".join(
                f'<label style="display:block;margin:.25rem 0"><input type="radio" name="method" '
                f'value="{esc(m)}"{" checked" if i == 0 else ""}> {esc(str(labels.get(m, m)))}</label>'
                for i, m in enumerate(session["payment_method_types"])
            )
            body = (
                f'<form method="post"><fieldset style="border:0;padding:0"><legend>'
                f"{esc(text['method'])}</legend>{options}</fieldset>"
                f'<button type="submit" style="margin-top:1rem;padding:.5rem 2rem;font-size:1.1rem">'
                f"{esc(text['pay'])} {esc(amount)}</button></form>"
            )
        cancel = str(session["cancel_url"]).replace("{CHECKOUT_SESSION_ID}", session["id"])
        cancel_link = (
            f'<p style="margin-top:2rem"><a href="{esc(cancel)}">{esc(text["cancel"])}</a></p>'
            if session["status"] == "open"
            else ""
        )
        lang = translation.get_language() or "fr"
        return (
            f'<!doctype html><html lang="{esc(lang)}"><head><meta charset="utf-8">'
            f"<title>{esc(text['title'])}</title>"
            '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
            '<body style="font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem">'
            '<p role="note" style="background:#fff3cd;border:1px solid #e0c66b;padding:.75rem;'
            f'font-weight:bold">{esc(text["banner"])}</p>'
            f"<h1>{esc(text['title'])}</h1>"
            f"<p>{esc(' · '.join(n for n in names if n))}</p>"
            f'<p style="font-size:1.5rem">{esc(amount)}</p>'
            f"{body}"
            f"{cancel_link}"
            "</body></html>"
        )


def _base_url(environ: Environ) -> str:
    scheme = environ.get("wsgi.url_scheme", "http")
    host = (
        environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME', '127.0.0.1')}:{environ.get('SERVER_PORT')}"
    )
    return f"{scheme}://{host}{environ.get('SCRIPT_NAME', '')}"


_REASONS = {200: "OK", 303: "See Other", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found"}


def _respond(start_response: StartResponse, status: int, text: str, content_type: str) -> list[bytes]:
    data = text.encode()
    start_response(
        f"{status} {_REASONS.get(status, 'Error')}",
        [("Content-Type", f"{content_type}; charset=utf-8"), ("Content-Length", str(len(data)))],
    )
    return [data]


# --- The demo: the fake inside Logis ----------------------------------------------------------------

# Its objects in the database: every worker of the demo serves the same sessions, and a restart keeps them.
DEMO = FakeStripe(store=DatabaseStore())


@csrf_exempt
def demo_view(request: HttpRequest, path: str = "") -> HttpResponse:
    """``/demo-stripe/…``: the fake, served by Logis itself in demo mode only (404 with a real key)."""
    from logis.payments import stripe_gateway

    if not stripe_gateway.demo_mode():
        raise Http404
    import io

    DEMO.webhook_secret = stripe_gateway.webhook_secret()
    body = request.body
    environ = dict(request.META)
    environ.update(
        {
            "wsgi.input": io.BytesIO(body),
            "CONTENT_LENGTH": str(len(body)),
            "SCRIPT_NAME": request.META.get("SCRIPT_NAME", "") + stripe_gateway.DEMO_PREFIX,
            "PATH_INFO": "/" + path,
            WEBHOOK_URL_KEY: request.build_absolute_uri(reverse("stripe_webhook")),
        }
    )
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        captured["status"] = int(status.split()[0])
        captured["headers"] = headers

    content = b"".join(DEMO(environ, start_response))
    response = HttpResponse(content, status=captured["status"])
    for name, value in captured["headers"]:
        if name.lower() != "content-length":
            response[name] = value
    return response
