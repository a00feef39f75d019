"""« Voir et payer »: the invoice a link from an email opens, paid without signing in (decision 0025).

Each view first counts the request against the client address's limit (429 beyond), then looks the link
up by invoice and token; anything but a valid link of that invoice answers the same neutral « lien
invalide ou expiré » page (404), whatever the reason. The page shows that invoice only: no other invoice,
no unit balance, no resident's name or email.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from logis.core import errors
from logis.core.forms import AmountField, StyledForm
from logis.core.money import format_amount
from logis.documents.responses import invoice_pdf_response
from logis.documents.selectors import invoice_document
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.payments import paylinks
from logis.payments.checkout import start_link_checkout
from logis.payments.models import PayLink
from logis.payments.online import demo_mode, online_payment_available, sync_checkout_session
from logis.portal import selectors

logger = logging.getLogger(__name__)

CHECKOUT_SESSION_PLACEHOLDER = "{CHECKOUT_SESSION_ID}"
MINIMUM_ONLINE = Decimal("1.00")


def _no_referrer(response: HttpResponse) -> HttpResponse:
    # The token is in the address: never sent on to another site (same-origin: a no-referrer policy
    # would make the browser send « Origin: null » with the pay form, which CSRF refuses), never cached.
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "no-store"
    return response


def invalid_link(request: HttpRequest) -> HttpResponse:
    return _no_referrer(render(request, "portal/link_invalid.html", status=404))


LinkView = Callable[..., HttpResponse]


def pay_link_view(view: LinkView) -> LinkView:
    """Rate limit per client address, then a valid link of this invoice, or the neutral page."""

    @wraps(view)
    def wrapper(request: HttpRequest, invoice_id: int, token: str, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            paylinks.consume_rate(request)
        except paylinks.PayLinkRateLimited as exc:
            response = render(request, "portal/link_rate_limited.html", status=429)
            response["Retry-After"] = str(exc.retry_after)
            return _no_referrer(response)
        link = paylinks.find_pay_link(invoice_id=invoice_id, token=token)
        if link is None:
            return invalid_link(request)
        return _no_referrer(view(request, link, token, *args, **kwargs))

    return wrapper


class PayAmountForm(StyledForm):
    amount = AmountField(label=gettext_lazy("Amount to pay"), max_length=32)

    def __init__(self, *args: Any, balance: Decimal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.balance = balance
        self.fields["amount"].help_text = _(
            "At least %(minimum)s, at most the balance due (%(balance)s)."
        ) % {
            "minimum": format_amount(MINIMUM_ONLINE),
            "balance": format_amount(balance),
        }

    def clean_amount(self) -> Decimal:
        amount: Decimal = self.cleaned_data["amount"]
        if amount < MINIMUM_ONLINE:
            raise forms.ValidationError(
                _("The least that can be paid online is %(minimum)s.")
                % {"minimum": format_amount(MINIMUM_ONLINE)}
            )
        if amount > self.balance:
            raise forms.ValidationError(
                _("This is more than the balance due (%(balance)s).")
                % {"balance": format_amount(self.balance)}
            )
        return amount


def amount_initial(balance: Decimal) -> str:
    """The balance as a person types it in their language (« 1 234,50 », « 1,234.50 »), without « $ »."""
    return format_amount(balance).replace("$", "").strip()


def _link_path(link: PayLink, token: str, query: str = "") -> str:
    path = paylinks.pay_link_path(link.invoice_id, token)
    return f"{path}?{query}" if query else path


def _page(request: HttpRequest, link: PayLink, token: str, form: PayAmountForm | None = None) -> HttpResponse:
    found = selectors.linked_invoice(invoice_id=link.invoice_id)
    if found is None:
        return invalid_link(request)
    invoice: Invoice = found.invoice
    prop = invoice.property
    pending = found.pending_payment is not None or (
        request.GET.get("checkout") == "pending" and found.payable
    )
    can_pay = found.payable and not pending and online_payment_available(prop)
    if form is None and can_pay:
        form = PayAmountForm(initial={"amount": amount_initial(found.balance_due)}, balance=found.balance_due)
    context = {
        "found": found,
        "invoice": invoice,
        "property": prop,
        "payments": found.payments,
        "pending": pending,
        "can_pay": can_pay,
        "form": form,
        "demo": demo_mode(),
        "token": token,
        "pad_offered": "acss_debit" in (prop.accepted_methods or []),
    }
    return render(request, "portal/link_invoice.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@pay_link_view
def pay_link(request: HttpRequest, link: PayLink, token: str) -> HttpResponse:
    """The invoice, its balance, its PDF and paying it (all or part) — nothing else of the account."""
    paylinks.mark_used(link)
    checkout = request.GET.get("checkout", "")
    if request.method == "POST":
        return _pay(request, link, token)
    if checkout == "success":
        session_id = request.GET.get("session_id", "")[:255]
        if session_id:
            try:
                sync_checkout_session(session_id=session_id)
            except Exception:
                logger.exception("Checkout session %s could not be synced", session_id)
        found = selectors.linked_invoice(invoice_id=link.invoice_id)
        if found is not None and found.pending_payment is None:
            messages.success(request, _("Payment received. Thank you! A receipt is sent by email."))
            return redirect(_link_path(link, token))
        return redirect(_link_path(link, token, "checkout=pending"))
    if checkout == "cancelled":
        messages.info(request, _("Payment cancelled: nothing was charged."))
        return redirect(_link_path(link, token))
    return _page(request, link, token)


def _pay(request: HttpRequest, link: PayLink, token: str) -> HttpResponse:
    found = selectors.linked_invoice(invoice_id=link.invoice_id)
    if found is None:
        return invalid_link(request)
    form = PayAmountForm(request.POST, balance=found.balance_due)
    if not form.is_valid():
        return _page(request, link, token, form)
    here = request.build_absolute_uri(paylinks.pay_link_path(link.invoice_id, token))
    try:
        url = start_link_checkout(
            link=link,
            amount=form.cleaned_data["amount"],
            success_url=f"{here}?checkout=success&session_id={CHECKOUT_SESSION_PLACEHOLDER}",
            cancel_url=f"{here}?checkout=cancelled",
        )
    except errors.ValidationError as exc:
        for field, field_errors in exc.errors.items():
            for message in field_errors:
                form.add_error(field if field in form.fields else None, str(message))
        return _page(request, link, token, form)
    except errors.NotFound:
        return invalid_link(request)
    except errors.DomainError as exc:
        messages.error(request, str(exc.message) or _("This invoice cannot be paid online."))
        return redirect(_link_path(link, token))
    return redirect(url)


@require_GET
@pay_link_view
def pay_link_pdf(request: HttpRequest, link: PayLink, token: str) -> HttpResponse:
    """The linked invoice as a PDF, as its residents get it from the portal."""
    document = invoice_document(
        invoices=Invoice.objects.visible_to_residents().exclude(status=InvoiceStatus.DRAFT),
        invoice_id=link.invoice_id,
    )
    if document is None:
        return invalid_link(request)
    return invoice_pdf_response(document)
