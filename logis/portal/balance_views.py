"""« Payer le solde »: the resident pays several open invoices of a unit in one Stripe Checkout, and sees
the one receipt that lists each invoice paid (docs/decisions/0036)."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from logis.accounts.models import User
from logis.core import errors
from logis.core.charter import SEPARATOR, document_languages
from logis.core.dates import today_in
from logis.documents.pdf_receipt import imputation_rule_label, imputation_statements
from logis.documents.responses import remittance_pdf_response
from logis.documents.selectors import RemittanceDocument, remittance_document
from logis.payments.balance_checkout import balance_pending, resident_unit, start_balance_checkout
from logis.payments.models import Remittance
from logis.payments.online import demo_mode, online_payment_available, sync_checkout_session
from logis.payments.remittances import open_invoices
from logis.portal.selectors import units_of
from logis.properties.models import Unit

logger = logging.getLogger(__name__)

CHECKOUT_SESSION_PLACEHOLDER = "{CHECKOUT_SESSION_ID}"


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _unit(request: HttpRequest, unit_id: int) -> Unit:
    unit = resident_unit(user=_user(request), unit_id=unit_id)
    if unit is None:
        raise Http404
    return unit


def _page(
    request: HttpRequest,
    unit: Unit,
    *,
    ticked: set[int] | None = None,
    error: str = "",
    pending: bool = False,
    status: int = 200,
) -> HttpResponse:
    invoices = open_invoices(unit=unit)
    today = today_in(unit.property.timezone)
    rows = [
        {
            "invoice": i,
            "balance": i.amount - i.amount_paid,
            "overdue": i.due_date < today,
            "ticked": ticked is None or i.pk in ticked,
        }
        for i in invoices
    ]
    pending = pending or balance_pending([i.pk for i in invoices])
    context = {
        "unit": unit,
        "property": unit.property,
        "rows": rows,
        "total": sum(
            (i.amount - i.amount_paid for i in invoices if ticked is None or i.pk in ticked),
            start=Decimal("0.00"),
        ),
        "can_pay": bool(rows) and not pending and online_payment_available(unit.property),
        "online": online_payment_available(unit.property),
        "pending": pending,
        "error": error,
        "demo": demo_mode(),
        "pad_offered": "acss_debit" in (unit.property.accepted_methods or []),
    }
    return render(request, "portal/balance.html", context, status=status)


def _receipt_url(remittance: Remittance) -> str:
    return reverse("portal:remittance", args=[remittance.pk])


@login_required
def balance(request: HttpRequest, unit_id: int) -> HttpResponse:
    """The unit's open invoices with their balance, all ticked (the resident may untick some: art. 1569),
    the total, and the button that opens one Checkout for it. Back from Checkout, the receipt."""
    unit = _unit(request, unit_id)
    checkout = request.GET.get("checkout", "")
    session_id = request.GET.get("session_id", "")[:255]
    here = reverse("portal:balance", args=[unit.pk])
    if checkout in ("success", "pending") and session_id:
        if checkout == "success":
            # Ask Stripe now rather than wait for the webhook (both record it once).
            try:
                sync_checkout_session(session_id=session_id)
            except Exception:
                logger.exception("Checkout session %s could not be synced", session_id)
        remittance = Remittance.objects.filter(provider_session_id=session_id, unit=unit).first()
        if remittance is not None:
            if checkout == "success":
                messages.success(request, _("Payment received. Thank you!"))
            return redirect(_receipt_url(remittance))
        if checkout == "success":
            return redirect(f"{here}?checkout=pending&session_id={session_id}")
        return _page(request, unit, pending=True)
    if checkout == "cancelled":
        messages.info(request, _("Payment cancelled: nothing was charged."))
        return redirect(here)
    return _page(request, unit)


@login_required
@require_POST
def pay_balance(request: HttpRequest, unit_id: int) -> HttpResponse:
    """Open the Checkout Session for the ticked invoices and send the browser there."""
    unit = _unit(request, unit_id)
    ticked: list[int] = []
    for value in request.POST.getlist("invoices"):
        if value.isdigit() and len(value) < 12:
            ticked.append(int(value))
    here = request.build_absolute_uri(reverse("portal:balance", args=[unit.pk]))
    try:
        url = start_balance_checkout(
            unit_id=unit.pk,
            user=_user(request),
            invoice_ids=ticked,
            success_url=f"{here}?checkout=success&session_id={CHECKOUT_SESSION_PLACEHOLDER}",
            cancel_url=f"{here}?checkout=cancelled",
        )
    except errors.NotFound as exc:
        raise Http404 from exc
    except errors.ValidationError as exc:
        message = " ".join(str(m) for field in exc.errors.values() for m in field)
        return _page(request, unit, ticked=set(ticked), error=message, status=400)
    except errors.DomainError as exc:
        return _page(request, unit, ticked=set(ticked), error=str(exc.message), status=409)
    return redirect(url)


def _document(request: HttpRequest, remittance_id: int) -> RemittanceDocument:
    """The receipt of a payment for several invoices of one of the person's units; 404 for any other."""
    units = [u.pk for u in units_of(_user(request))]
    document = remittance_document(
        remittances=Remittance.objects.filter(unit_id__in=units), remittance_id=remittance_id
    )
    if document is None:
        raise Http404
    return document


@login_required
@require_GET
def remittance(request: HttpRequest, remittance_id: int) -> HttpResponse:
    """The one receipt of a payment for several invoices: each invoice paid and how it was applied."""
    document = _document(request, remittance_id)
    prop = document.remittance.property
    # French first for a Quebec property, the reader's language beside it (s. 57, core/charter.py).
    main, companion = document_languages(prop, translation.get_language())
    with translation.override(main):
        statements = imputation_statements(document)
        labels = [imputation_rule_label(s.rule) for s in document.shares]
    if companion is not None:
        with translation.override(companion):
            statements += [s for s in imputation_statements(document) if s not in statements]
            labels = [
                label if other == label else f"{label}{SEPARATOR}{other}"
                for label, other in zip(
                    labels, [imputation_rule_label(s.rule) for s in document.shares], strict=True
                )
            ]
    return render(
        request,
        "portal/remittance_receipt.html",
        {
            "document": document,
            "remittance": document.remittance,
            "property": prop,
            "statements": statements,
            "shares": list(zip(document.shares, labels, strict=True)),
        },
    )


@login_required
@require_GET
def remittance_pdf(request: HttpRequest, remittance_id: int) -> HttpResponse:
    """The same receipt as a PDF (French first for a Quebec property: s. 57)."""
    return remittance_pdf_response(_document(request, remittance_id))
