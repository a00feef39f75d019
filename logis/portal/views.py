"""The resident portal: a person's units, their published invoices, paying online, receipts.

Thin views over ``logis.portal.selectors`` (reads, scoped to the signed-in person's units) and
``logis.payments.online`` (Stripe Checkout). Another unit's invoice, or a draft, answers 404.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from logis.accounts.models import Membership, User
from logis.core import errors
from logis.core.links import portal_invoice_path
from logis.documents.responses import invoice_pdf_response, receipt_pdf_response
from logis.documents.selectors import ReceiptDocument, invoice_document, receipt_document
from logis.finances.selectors import tax_registration
from logis.invoicing.lines import lines_summary
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.payments.models import Payment
from logis.payments.online import (
    demo_mode,
    online_payment_available,
    start_checkout,
    sync_checkout_session,
)
from logis.portal import selectors
from logis.portal.autopay_views import autopay_offered

logger = logging.getLogger(__name__)

# Stripe puts the session's id in place of this placeholder when it sends the person back.
CHECKOUT_SESSION_PLACEHOLDER = "{CHECKOUT_SESSION_ID}"
HISTORY_PER_PAGE = 20
# Back from Checkout with the payment still being confirmed, the page reloads itself after these
# delays (seconds), then stops: a pre-authorized debit can take days, the « Refresh » link stays.
RECHECK_DELAYS = (3, 6, 12)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Balance due, then the invoices to pay (overdue and open, oldest due date first), then history."""
    user = _user(request)
    overview = selectors.portal_overview(user=user)
    # Everything to pay is on the first screen; the history (paid, void) goes back years: paginated.
    history: Paginator[Invoice] = Paginator(overview.history, HISTORY_PER_PAGE)
    context = {
        "overview": overview,
        "history": history.get_page(request.GET.get("page")),
        "many_units": len(overview.units) > 1,
        "many_properties": len(overview.properties) > 1,
        "manages": not overview.units and Membership.objects.filter(user=user).exists(),
        # « Paiement automatique » only where a unit can enrol or has it on (issue 13).
        "autopay_offered": autopay_offered(overview.units),
        # « Payer le solde » beside each unit's balance where its property takes online payment.
        "pay_balances": [
            (unit, amount)
            for unit, amount in overview.units_with_balance()
            if online_payment_available(unit.property)
        ],
    }
    return render(request, "portal/home.html", context)


def _detail_url(request: HttpRequest, invoice_id: int, query: str = "") -> str:
    return portal_invoice_path(invoice_id, query)


@login_required
def invoice(request: HttpRequest, invoice_id: int) -> HttpResponse:
    """One invoice: amounts, description, payments and receipts, and paying it online."""
    user = _user(request)
    checkout = request.GET.get("checkout", "")
    session_id = request.GET.get("session_id", "")
    found = selectors.portal_invoice(user=user, invoice_id=invoice_id)
    if found is None:
        raise Http404
    if checkout == "success" and session_id:
        # Back from Checkout: ask Stripe now rather than wait for the webhook (both record it once).
        try:
            sync_checkout_session(session_id=session_id[:255])
        except Exception:
            # The webhook will confirm it: the person sees the pending state meanwhile.
            logger.exception("Checkout session %s could not be synced", session_id[:255])
        refreshed = selectors.portal_invoice(user=user, invoice_id=invoice_id)
        if refreshed is not None and refreshed.status == InvoiceStatus.PAID:
            messages.success(request, _("Payment received. Thank you!"))
            return redirect(_detail_url(request, invoice_id))
        return redirect(_detail_url(request, invoice_id, "checkout=pending"))
    if checkout == "cancelled":
        messages.info(request, _("Payment cancelled: nothing was charged."))
        return redirect(_detail_url(request, invoice_id))
    if checkout == "pending" and found.status == InvoiceStatus.PAID:
        # The page re-checked by itself (or was refreshed) and the payment is now confirmed.
        messages.success(request, _("Payment received. Thank you!"))
        return redirect(_detail_url(request, invoice_id))
    return _invoice_page(request, found, checkout=checkout)


def _invoice_page(
    request: HttpRequest, found: selectors.PortalInvoice, *, checkout: str, form: object = None
) -> HttpResponse:
    from logis.portal.link_views import PayAmountForm, amount_initial

    prop = found.invoice.property
    pending = found.pending_payment is not None or (checkout == "pending" and found.payable)
    can_pay = found.payable and not pending and online_payment_available(prop)
    if form is None and can_pay:
        form = PayAmountForm(initial={"amount": amount_initial(found.balance_due)}, balance=found.balance_due)
    context = {
        "found": found,
        "invoice": found.invoice,
        "property": prop,
        "payments": found.payments,
        "pending": pending,
        "can_pay": can_pay,
        "form": form,
        "pad_offered": "acss_debit" in (prop.accepted_methods or []),
        "demo": demo_mode(),
        "recheck_delays": " ".join(map(str, RECHECK_DELAYS)) if pending and checkout == "pending" else "",
        "lines_summary": lines_summary(found.invoice),
        "tax_registration": tax_registration(prop),
    }
    return render(request, "portal/invoice_detail.html", context)


@login_required
@require_POST
def pay(request: HttpRequest, invoice_id: int) -> HttpResponse:
    """Open a Stripe Checkout Session for the balance due and send the browser there."""
    from logis.portal.link_views import PayAmountForm

    user = _user(request)
    found = selectors.portal_invoice(user=user, invoice_id=invoice_id)
    if found is None:
        raise Http404
    amount = None
    if "amount" in request.POST:
        # Part of the balance (at least 1 $): kept with its message beside the field when refused.
        form = PayAmountForm(request.POST, balance=found.balance_due)
        if not form.is_valid():
            return _invoice_page(request, found, checkout="", form=form)
        amount = form.cleaned_data["amount"]
    detail = request.build_absolute_uri(portal_invoice_path(invoice_id))
    try:
        url = start_checkout(
            invoice_id=invoice_id,
            user=user,
            amount=amount,
            success_url=f"{detail}?checkout=success&session_id={CHECKOUT_SESSION_PLACEHOLDER}",
            cancel_url=f"{detail}?checkout=cancelled",
        )
    except errors.NotFound as exc:
        raise Http404 from exc
    except errors.ValidationError as exc:
        form = PayAmountForm(request.POST, balance=found.balance_due)
        form.is_valid()
        for field_errors in exc.errors.values():
            for message in field_errors:
                form.add_error("amount", str(message))
        return _invoice_page(request, found, checkout="", form=form)
    except errors.DomainError as exc:
        messages.error(request, str(exc.message) or _("This invoice cannot be paid online."))
        return redirect(_detail_url(request, invoice_id))
    return redirect(url)


def _receipt_document(request: HttpRequest, payment_id: int) -> ReceiptDocument:
    """The receipt of a payment received on one of the person's invoices; 404 for any other id."""
    payments = Payment.objects.filter(invoice__in=selectors.visible_invoices(_user(request)))
    document = receipt_document(payments=payments, payment_id=payment_id)
    if document is None:
        raise Http404
    return document


@login_required
def receipt(request: HttpRequest, payment_id: int) -> HttpResponse:
    """The receipt of one succeeded payment of the person's invoices (printable; the PDF says the same)."""
    document = _receipt_document(request, payment_id)
    return render(
        request,
        "portal/receipt.html",
        {"document": document, "payment": document.payment, "invoice": document.invoice},
    )


@login_required
@require_GET
def invoice_pdf(request: HttpRequest, invoice_id: int) -> HttpResponse:
    """One of the person's published invoices as a PDF in their language; a draft or another unit's
    invoice does not exist for them (404)."""
    document = invoice_document(invoices=selectors.visible_invoices(_user(request)), invoice_id=invoice_id)
    if document is None:
        raise Http404
    return invoice_pdf_response(document)


@login_required
@require_GET
def receipt_pdf(request: HttpRequest, payment_id: int) -> HttpResponse:
    """The receipt of a payment received on one of the person's invoices, as a PDF in their language."""
    return receipt_pdf_response(_receipt_document(request, payment_id))
