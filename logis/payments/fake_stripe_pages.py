"""The hosted pages of the local fake of Stripe (``fake_stripe.py``): ``GET /pay/{id}``, the demo's
"checkout page" (pay, or see a pre-authorized debit clear or fail) and the setup page of autopay; and
how the fake answers over WSGI."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from django.utils import translation
from django.utils.translation import gettext as _

from logis.core.money import format_amount
from logis.payments.fake_stripe_store import CHARGE

if TYPE_CHECKING:
    from logis.payments.fake_stripe import Delivery
    from logis.payments.fake_stripe_store import Store

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
Environ = dict[str, Any]
WEBHOOK_URL_KEY = "fake_stripe.webhook_url"


class HostedPages:
    """The pages a resident's browser is sent to, mixed into ``FakeStripe``."""

    if TYPE_CHECKING:  # FakeStripe's, which this is mixed into
        store: Store
        webhook_url: str

        def _session(self, session_id: str, *, for_update: bool = False) -> dict[str, Any]: ...

        def get_session(self, session_id: str) -> dict[str, Any]: ...

        def complete_session(self, session_id: str, *, method: str = "") -> dict[str, Any]: ...

        def settle_debit(self, session_id: str, *, succeeded: bool = True) -> dict[str, Any]: ...

        def complete_setup(
            self, session_id: str, *, method: str, account_number: str = "", card_number: str = ""
        ) -> dict[str, Any]: ...

        def render_setup_page(self, session: dict[str, Any]) -> str: ...

        def deliver(self, event: dict[str, Any], *, url: str = "") -> Delivery: ...

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
