"""Autopay's part of the local fake of Stripe (mixed into ``fake_stripe.FakeStripe``).

- ``POST /v1/customers``; ``POST /v1/checkout/sessions`` with ``mode=setup`` (card or ``acss_debit``, the
  latter with ``payment_method_options[acss_debit][currency]`` and ``[mandate_options]``);
  ``GET /v1/setup_intents/{id}``, ``GET /v1/payment_methods/{id}``;
  ``POST /v1/payment_intents`` off-session (``confirm=true``, ``off_session=true``), idempotency keys
  honoured by the fake's common path.
- The hosted setup page (``/pay/{id}`` of a setup session): the bank account (Stripe's test institution
  000, transit 11000) or the card number, pre-filled with Stripe's test numbers; saving it creates the
  PaymentMethod, the SetupIntent and, for a debit, an active Mandate, and sends
  ``checkout.session.completed`` (with ``setup_intent``).
- Stripe's test numbers decide what a debit does: account ``000123456789`` clears, ``000222222227`` fails
  for insufficient funds (``payment_intent.payment_failed``); card ``4242424242424242`` is paid,
  ``4000000000000341`` saves but is declined when charged (402 ``card_declined``).
- ``revoke_mandate``: the payer's bank cancels the mandate (``mandate.updated``, status ``inactive``).

A pre-authorized debit is ``processing`` when created and, in this fake, clears or fails at once
(``auto_settle``; Stripe takes a few business days): the events are sent to the webhook when the fake
knows its address (the demo; tests may leave it empty and post ``events`` themselves).
"""

from __future__ import annotations

import copy
import html
import time
from typing import TYPE_CHECKING, Any

from django.utils import translation
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from logis.payments.fake_stripe_store import Store

CUSTOMER, SETUP_INTENT, PAYMENT_METHOD, MANDATE, PAYMENT_INTENT = (
    "customer",
    "setup_intent",
    "payment_method",
    "mandate",
    "payment_intent",
)
AUTOPAY_KINDS = (CUSTOMER, SETUP_INTENT, PAYMENT_METHOD, MANDATE, PAYMENT_INTENT)

# Stripe's test numbers (docs: "Testing" for ACSS debits and cards).
PAD_TEST_INSTITUTION = "000"
PAD_TEST_TRANSIT = "11000"
PAD_ACCOUNT_SUCCEEDS = "000123456789"
PAD_ACCOUNT_FAILS = "000222222227"  # insufficient funds
CARD_SUCCEEDS = "4242424242424242"
CARD_DECLINED_WHEN_CHARGED = "4000000000000341"


def _error(status: int, message: str, *, code: str = "", type_: str = "invalid_request_error") -> Exception:
    from logis.payments.fake_stripe_store import FakeError

    return FakeError(status, message, code=code, type_=type_)


def _new_id(prefix: str) -> str:
    from logis.payments.fake_stripe_store import _new_id as new_id

    return new_id(prefix)


class AutopayFake:
    """Customers, setup sessions, saved payment methods, mandates and off-session PaymentIntents."""

    auto_settle: bool = True

    if TYPE_CHECKING:  # FakeStripe's, which this is mixed into
        store: Store

        def _session(self, session_id: str, *, for_update: bool = False) -> dict[str, Any]: ...

        @staticmethod
        def _public(obj: dict[str, Any]) -> dict[str, Any]: ...

        def _event(self, type_: str, obj: dict[str, Any]) -> dict[str, Any]: ...

    def _get(self, kind: str, object_id: str, label: str) -> dict[str, Any]:
        found = self.store.get(kind, object_id)
        if found is None:
            raise _error(404, f"No such {label}: '{object_id}'", code="resource_missing")
        return found

    # --- API ---------------------------------------------------------------------------------------

    def create_customer(self, params: dict[str, Any]) -> dict[str, Any]:
        customer = {
            "id": _new_id("cus"),
            "object": "customer",
            "email": params.get("email"),
            "name": params.get("name"),
            "metadata": dict(params.get("metadata") or {}),
            "created": int(time.time()),
        }
        self.store.put(CUSTOMER, str(customer["id"]), customer)
        return customer

    def create_setup_session(self, params: dict[str, Any], *, base_url: str) -> dict[str, Any]:
        from logis.payments.fake_stripe_store import SESSION

        customer = str(params.get("customer") or "")
        self._get(CUSTOMER, customer, "customer")
        methods = params.get("payment_method_types") or []
        if not methods or any(m not in ("card", "acss_debit") for m in methods):
            raise _error(400, "payment_method_types must be card or acss_debit.", code="parameter_invalid")
        options = params.get("payment_method_options") or {}
        if "acss_debit" in methods:
            acss = options.get("acss_debit") or {}
            if acss.get("currency") != "cad":
                raise _error(400, "payment_method_options[acss_debit][currency] is required in setup mode.")
            mandate = acss.get("mandate_options") or {}
            if mandate.get("payment_schedule") not in ("interval", "sporadic", "combined"):
                raise _error(400, "mandate_options[payment_schedule] is required.", code="parameter_missing")
            if mandate.get("transaction_type") not in ("personal", "business"):
                raise _error(400, "mandate_options[transaction_type] is required.", code="parameter_missing")
        for url_name in ("success_url", "cancel_url"):
            if not str(params.get(url_name, "")).startswith(("http://", "https://")):
                raise _error(400, f"{url_name} must be an absolute URL.", code="url_invalid")
        session_id = _new_id("cs")
        session = {
            "id": session_id,
            "object": "checkout.session",
            "cancel_url": params["cancel_url"],
            "created": int(time.time()),
            "currency": None,
            "customer": customer,
            "expires_at": int(time.time()) + 24 * 3600,
            "livemode": False,
            "locale": params.get("locale"),
            "metadata": dict(params.get("metadata") or {}),
            "mode": "setup",
            "payment_intent": None,
            "payment_method_options": options,
            "payment_method_types": list(methods),
            "payment_status": "no_payment_required",
            "setup_intent": None,
            "status": "open",
            "success_url": params["success_url"],
            "url": f"{base_url}/pay/{session_id}",
        }
        self.store.put(SESSION, session_id, session)
        return self._public(session)

    def complete_setup(
        self,
        session_id: str,
        *,
        method: str = "",
        account_number: str = "",
        card_number: str = "",
    ) -> dict[str, Any]:
        """The payer saves a bank account (accepting the mandate) or a card on the hosted page: the
        PaymentMethod, its SetupIntent and Mandate; returns the ``checkout.session.completed`` event."""
        from logis.payments.fake_stripe_store import SESSION

        with self.store.locked():
            session = self._session(session_id, for_update=True)
            if session.get("mode") != "setup" or session["status"] != "open":
                raise _error(400, "This Checkout Session is no longer open.", code="session_not_open")
            method = method or session["payment_method_types"][0]
            if method not in session["payment_method_types"]:
                raise _error(400, f"{method} is not offered by this session.")
            number = "".join(ch for ch in (account_number or card_number) if ch.isdigit())
            if method == "acss_debit":
                number = number or PAD_ACCOUNT_SUCCEEDS
                if not 7 <= len(number) <= 12:
                    raise _error(400, "The account number must have 7 to 12 digits.", code="invalid_account")
                details: dict[str, Any] = {
                    "acss_debit": {
                        "bank_name": "STRIPE TEST BANK",
                        "institution_number": PAD_TEST_INSTITUTION,
                        "transit_number": PAD_TEST_TRANSIT,
                        "last4": number[-4:],
                        "_account_number": number,
                    }
                }
            else:
                number = number or CARD_SUCCEEDS
                if len(number) != 16:
                    raise _error(400, "Your card number is incomplete.", code="incorrect_number")
                details = {
                    "card": {"brand": "visa", "last4": number[-4:], "exp_month": 12, "exp_year": 2030},
                    "_card_number": number,
                }
            pm_id = _new_id("pm")
            payment_method = {
                "id": pm_id,
                "object": "payment_method",
                "type": method,
                "customer": session["customer"],
                "created": int(time.time()),
                **details,
            }
            self.store.put(PAYMENT_METHOD, pm_id, payment_method)
            mandate_id = None
            if method == "acss_debit":
                mandate_id = _new_id("mandate")
                options = (session["payment_method_options"].get("acss_debit") or {}).get("mandate_options")
                mandate = {
                    "id": mandate_id,
                    "object": "mandate",
                    "payment_method": pm_id,
                    "status": "active",
                    "type": "multi_use",
                    "customer_acceptance": {"type": "online", "accepted_at": int(time.time())},
                    "payment_method_details": {"type": "acss_debit", "acss_debit": dict(options or {})},
                }
                self.store.put(MANDATE, mandate_id, mandate)
            seti_id = _new_id("seti")
            setup_intent = {
                "id": seti_id,
                "object": "setup_intent",
                "customer": session["customer"],
                "mandate": mandate_id,
                "payment_method": pm_id,
                "payment_method_types": [method],
                "status": "succeeded",
                "usage": "off_session",
                "metadata": dict(session.get("metadata") or {}),
            }
            self.store.put(SETUP_INTENT, seti_id, setup_intent)
            session.update(status="complete", setup_intent=seti_id)
            self.store.put(SESSION, session_id, session)
            return self._event("checkout.session.completed", self._public(session))

    def get_setup_intent(self, setup_intent_id: str) -> dict[str, Any]:
        return self._get(SETUP_INTENT, setup_intent_id, "setup_intent")

    def _public_method(self, pm: dict[str, Any]) -> dict[str, Any]:
        out = self._public(pm)
        for key in ("acss_debit", "card"):
            if isinstance(out.get(key), dict):
                out[key] = self._public(out[key])
        return out

    def create_payment_intent(self, params: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """An off-session PaymentIntent with a saved method; returns it and the ids of the events it
        caused (to send to the webhook). A declined card raises the 402 Stripe answers."""
        try:
            amount = int(params.get("amount", ""))
        except ValueError as exc:
            raise _error(400, "amount must be an integer.", code="parameter_invalid_integer") from exc
        if amount <= 0:
            raise _error(400, "amount must be positive.", code="parameter_invalid_integer")
        if str(params.get("currency", "")).lower() != "cad":
            raise _error(400, "currency must be cad here.")
        if params.get("confirm") != "true" or params.get("off_session") != "true":
            raise _error(400, "This fake only makes off-session, confirmed PaymentIntents.")
        pm = self._get(PAYMENT_METHOD, str(params.get("payment_method", "")), "payment_method")
        if pm["customer"] != params.get("customer"):
            raise _error(400, "The PaymentMethod is not attached to this customer.")
        intent: dict[str, Any] = {
            "id": _new_id("pi"),
            "object": "payment_intent",
            "amount": amount,
            "amount_received": 0,
            "currency": "cad",
            "customer": pm["customer"],
            "created": int(time.time()),
            "metadata": dict(params.get("metadata") or {}),
            "payment_method": pm["id"],
            "payment_method_types": [pm["type"]],
            "mandate": params.get("mandate"),
            "last_payment_error": None,
            "status": "processing",
        }
        events: list[str] = []
        if pm["type"] == "card":
            if pm.get("_card_number") == CARD_DECLINED_WHEN_CHARGED:
                raise _error(402, "Your card was declined.", code="card_declined", type_="card_error")
            intent.update(status="succeeded", amount_received=amount)
            self.store.put(PAYMENT_INTENT, intent["id"], intent)
            events.append(self._event("payment_intent.succeeded", intent)["id"])
            return copy.deepcopy(intent), events
        mandate = self.store.get(MANDATE, str(params.get("mandate") or ""))
        if mandate is None or mandate["status"] != "active" or mandate["payment_method"] != pm["id"]:
            raise _error(400, "This PaymentMethod has no active mandate.", code="payment_method_unactivated")
        self.store.put(PAYMENT_INTENT, intent["id"], intent)
        events.append(self._event("payment_intent.processing", intent)["id"])
        answer = copy.deepcopy(intent)  # what the API answers: processing, whatever happens next
        if self.auto_settle:
            events.append(self.settle_intent(intent["id"])["id"])
        return answer, events

    def settle_intent(self, intent_id: str) -> dict[str, Any]:
        """The pre-authorized debit clears, or is returned by the bank (test account numbers)."""
        with self.store.locked():
            intent = copy.deepcopy(self._get(PAYMENT_INTENT, intent_id, "payment_intent"))
            pm = self._get(PAYMENT_METHOD, intent["payment_method"], "payment_method")
            if (pm.get("acss_debit") or {}).get("_account_number") == PAD_ACCOUNT_FAILS:
                intent.update(
                    status="requires_payment_method",
                    last_payment_error={
                        "code": "insufficient_funds",
                        "message": "The customer's account has insufficient funds to cover this payment.",
                        "type": "card_error",
                    },
                )
                event_type = "payment_intent.payment_failed"
            else:
                intent.update(status="succeeded", amount_received=intent["amount"])
                event_type = "payment_intent.succeeded"
            self.store.put(PAYMENT_INTENT, intent_id, intent)
            return self._event(event_type, intent)

    def revoke_mandate(self, mandate_id: str) -> dict[str, Any]:
        """The payer's bank cancels the PAD agreement: ``mandate.updated`` with status ``inactive``."""
        with self.store.locked():
            mandate = self._get(MANDATE, mandate_id, "mandate")
            mandate["status"] = "inactive"
            self.store.put(MANDATE, mandate_id, mandate)
            return self._event("mandate.updated", mandate)

    def autopay_api(
        self, method: str, path: str, params: dict[str, Any], base_url: str
    ) -> tuple[dict[str, Any], list[str]] | None:
        """The autopay endpoints (None: not one of them). Returns the answer and the events to send."""
        import re

        if method == "POST" and path == "/v1/customers":
            return self.create_customer(params), []
        if method == "POST" and path == "/v1/payment_intents":
            return self.create_payment_intent(params)
        if method == "GET" and (m := re.fullmatch(r"/v1/setup_intents/([A-Za-z0-9_]+)", path)):
            return self.get_setup_intent(m.group(1)), []
        if method == "GET" and (m := re.fullmatch(r"/v1/payment_methods/([A-Za-z0-9_]+)", path)):
            return self._public_method(self._get(PAYMENT_METHOD, m.group(1), "payment_method")), []
        return None

    # --- The hosted setup page --------------------------------------------------------------------

    def render_setup_page(self, session: dict[str, Any]) -> str:
        esc = html.escape
        text = {
            "banner": _("Demo mode — no real payment"),
            "title": _("Demo: save a payment method"),
            "closed": _("This page is no longer open."),
            "method": _("Payment method"),
            "account": _("Account number"),
            "card": _("Card number"),
            "account_help": _(
                "Test bank: institution %(institution)s, transit %(transit)s. Account %(ok)s: the debits "
                "clear; %(fails)s: they fail (insufficient funds)."
            )
            % {
                "institution": PAD_TEST_INSTITUTION,
                "transit": PAD_TEST_TRANSIT,
                "ok": PAD_ACCOUNT_SUCCEEDS,
                "fails": PAD_ACCOUNT_FAILS,
            },
            "card_help": _("Test card %(ok)s is paid; %(declined)s is declined when charged.")
            % {"ok": CARD_SUCCEEDS, "declined": CARD_DECLINED_WHEN_CHARGED},
            "save": _("Save and authorize"),
            "cancel": _("Cancel and go back"),
        }
        labels = {"card": _("Card"), "acss_debit": _("Pre-authorized debit")}
        if session["status"] != "open":
            body = f'<p role="alert">{esc(text["closed"])}</p>'
        else:
            methods = session["payment_method_types"]
            options = "".join(
                f'<label style="display:block;margin:.25rem 0"><input type="radio" name="method" '
                f'value="{esc(m)}"{" checked" if i == 0 else ""}> {esc(str(labels.get(m, m)))}</label>'
                for i, m in enumerate(methods)
            )
            fields = ""
            if "acss_debit" in methods:
                fields += (
                    f'<p><label for="account_number">{esc(text["account"])}</label><br>'
                    f'<input id="account_number" name="account_number" inputmode="numeric" '
                    f'value="{PAD_ACCOUNT_SUCCEEDS}" aria-describedby="account_help"></p>'
                    f'<p id="account_help" style="font-size:.9rem">{esc(text["account_help"])}</p>'
                )
            if "card" in methods:
                fields += (
                    f'<p><label for="card_number">{esc(text["card"])}</label><br>'
                    f'<input id="card_number" name="card_number" inputmode="numeric" '
                    f'value="{CARD_SUCCEEDS}" aria-describedby="card_help"></p>'
                    f'<p id="card_help" style="font-size:.9rem">{esc(text["card_help"])}</p>'
                )
            body = (
                f'<form method="post"><fieldset style="border:0;padding:0"><legend>'
                f"{esc(text['method'])}</legend>{options}</fieldset>{fields}"
                f'<button type="submit" style="margin-top:1rem;padding:.5rem 2rem;font-size:1.1rem">'
                f"{esc(text['save'])}</button></form>"
            )
        cancel = str(session["cancel_url"])
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
            f"{body}{cancel_link}</body></html>"
        )
