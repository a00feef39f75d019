"""API v1: invoices (the Factures list, the cards, one invoice; create, edit, publish, void)."""

from __future__ import annotations

from typing import Any

from django.db.models import Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from ninja import Header, Query, Router, Status

from logis.api import paging
from logis.api.auth import property_for
from logis.api.common import (
    READ_ERRORS,
    WRITE_ERRORS,
    InvoiceId,
    PropertyId,
    _creation_token,
    _invoice,
)
from logis.api.invoice_schemas import (
    InvoiceCreateIn,
    InvoiceFilters,
    InvoiceLineIn,
    InvoiceOut,
    InvoicePage,
    InvoiceUpdateIn,
    PublishOut,
    SummaryOut,
    VoidIn,
)
from logis.api.payment_schemas import InvoiceDetailOut
from logis.core.permissions import Action
from logis.invoicing import selectors as invoice_selectors
from logis.invoicing import services as invoice_services
from logis.invoicing.lines import LineInput, lines_summary
from logis.invoicing.models import Invoice

router = Router()


@router.get(
    "/properties/{int:property_id}/invoices",
    response={200: InvoicePage, **READ_ERRORS},
    summary="Invoices",
    description=(
        "The Factures list: filters, search and sorts of the page, paginated by cursor (preferred) or by "
        "limit and offset. "
        "``status=overdue`` is derived (open, due date passed in the property's time zone, balance due)."
    ),
    tags=["invoices"],
)
def list_invoices(
    request: HttpRequest, filters: Query[InvoiceFilters], property_id: int = PropertyId
) -> dict[str, Any]:
    access = property_for(request, property_id)
    wanted = invoice_selectors.InvoiceFilters(
        status=filters.status.value if filters.status else "",
        unit_id=filters.unit,
        due_from=filters.due_from,
        due_to=filters.due_to,
        search=(filters.search or "").strip(),
        sort=filters.sort.value,
    )
    invoices = invoice_selectors.invoice_list(access.property, access.today, wanted)
    # The Factures page's keyset order of this sort (drafts without a number after every number).
    order = invoice_selectors.keyset_order(filters.sort.value)
    if order[0][0] == "number_key":
        invoices = invoices.annotate(number_key=Coalesce("number", Value(invoice_selectors.NO_NUMBER)))
    # Paged by offset, the answer's « count » comes from the summary rows when only the status is filtered,
    # as the Factures page's does: a COUNT of 200,000 invoices took 55 ms of every such request (0041).
    count = None
    if filters.cursor is None and not wanted.narrows_beyond_status:
        summary = invoice_selectors.invoice_summary(access.property, access.today)
        count = invoice_selectors.known_list_count(summary, wanted)
    return paging.page(request, invoices, filters, kind="invoices", order=order, count=count)


@router.get(
    "/properties/{int:property_id}/invoices/summary",
    response={200: SummaryOut, **READ_ERRORS},
    summary="The four cards",
    description="Total, Ouvertes (open), En retard (overdue), Payées (paid): amounts and counts.",
    tags=["invoices"],
)
def invoice_summary(request: HttpRequest, property_id: int = PropertyId) -> dict[str, Any]:
    access = property_for(request, property_id)
    today = access.today
    summary = invoice_selectors.invoice_summary(access.property, today)
    return {
        "today": today,
        "total": summary.total,
        "open": summary.open,
        "overdue": summary.overdue,
        "paid": summary.paid,
    }


@router.get(
    "/properties/{int:property_id}/invoices/{int:invoice_id}",
    response={200: InvoiceDetailOut, **READ_ERRORS},
    summary="One invoice",
    description="The invoice with its payments, reversals and refunds.",
    tags=["invoices"],
)
def get_invoice(request: HttpRequest, property_id: int = PropertyId, invoice_id: int = InvoiceId) -> Invoice:
    access = property_for(request, property_id)
    invoice = _invoice(access, invoice_id)
    invoice.payments_list = invoice_selectors.invoice_payments(invoice)  # type: ignore[attr-defined]
    invoice.lines_list = lines_summary(invoice).lines  # type: ignore[attr-defined]
    return invoice


def _line_inputs(lines: list[InvoiceLineIn] | None) -> list[LineInput] | None:
    if lines is None:
        return None
    return [
        LineInput(description=line.description, category_id=line.category, amount=line.amount)
        for line in lines
    ]


@router.post(
    "/properties/{int:property_id}/invoices",
    response={201: InvoiceOut, 200: InvoiceOut, **WRITE_ERRORS},
    summary="Create a draft invoice",
    description=(
        "Creates a draft, as the « Créer une facture » dialog does. With an ``Idempotency-Key`` header, "
        "sending the same key again (same user, same property) creates nothing and answers 200 with the "
        "invoice the first request created, whatever the body; without one, every request creates a draft."
    ),
    tags=["invoices"],
)
def create_invoice(
    request: HttpRequest,
    payload: InvoiceCreateIn,
    property_id: int = PropertyId,
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        description="Any string of 1 to 255 printable ASCII characters, unique per invoice to create.",
    ),
) -> Status[Invoice]:
    access = property_for(request, property_id, Action.CREATE_INVOICE)
    invoice, created = invoice_services.create_invoice_once(
        actor=access.user,
        property=access.property,
        unit_id=payload.unit,
        title=payload.title,
        amount=payload.amount,
        due_date=payload.due_date,
        description=payload.description,
        notify_resident=payload.notify_resident,
        creation_token=_creation_token(access, idempotency_key),
        lines=_line_inputs(payload.lines),
    )
    return Status(201 if created else 200, _invoice(access, invoice.pk))


@router.patch(
    "/properties/{int:property_id}/invoices/{int:invoice_id}",
    response={200: InvoiceOut, **WRITE_ERRORS},
    summary="Edit a draft",
    description="Only the fields sent (not null) change. Drafts without payments only (409 otherwise).",
    tags=["invoices"],
)
def update_invoice(
    request: HttpRequest, payload: InvoiceUpdateIn, property_id: int = PropertyId, invoice_id: int = InvoiceId
) -> Invoice:
    access = property_for(request, property_id, Action.EDIT_INVOICE)
    current = _invoice(access, invoice_id)
    sent = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    lines = _line_inputs(payload.lines)
    amount = sent.get("amount")
    if lines is None and amount is None:
        # Neither sent: the lines stay as they are.
        lines = [
            LineInput(description=line.description, category_id=line.category_id, amount=line.amount)
            for line in current.lines.order_by("position")
        ]
    invoice_services.update_invoice(
        actor=access.user,
        property=access.property,
        invoice_id=current.pk,
        unit_id=sent.get("unit", current.unit_id),
        title=sent.get("title", current.title),
        amount=amount,
        lines=lines,
        due_date=sent.get("due_date", current.due_date),
        description=sent.get("description", current.description),
        notify_resident=sent.get("notify_resident", current.notify_resident),
    )
    return _invoice(access, current.pk)


@router.post(
    "/properties/{int:property_id}/invoices/{int:invoice_id}/publish",
    response={200: PublishOut, **WRITE_ERRORS},
    summary="Publish a draft",
    description=(
        "Draft → open: takes the property's next number and, when the invoice asks for it, queues the "
        "email to the unit's primary resident (``email`` says to whom, or why not)."
    ),
    tags=["invoices"],
)
def publish_invoice(
    request: HttpRequest, property_id: int = PropertyId, invoice_id: int = InvoiceId
) -> dict[str, Any]:
    access = property_for(request, property_id, Action.PUBLISH_INVOICE)
    result = invoice_services.publish_invoice(
        actor=access.user, property=access.property, invoice_id=invoice_id
    )
    return {
        "invoice": _invoice(access, result.invoice.pk),
        "email": {
            "requested": result.email_requested,
            "to": result.email_to,
            "not_sent_because": None if result.email_blocker is None else str(result.email_blocker),
        },
    }


@router.post(
    "/properties/{int:property_id}/invoices/{int:invoice_id}/void",
    response={200: InvoiceOut, **WRITE_ERRORS},
    summary="Void an invoice",
    description=(
        "Draft or open → void, with a reason. What an open invoice received becomes the unit's credit. "
        "A paid invoice is refunded, not voided (409)."
    ),
    tags=["invoices"],
)
def void_invoice(
    request: HttpRequest, payload: VoidIn, property_id: int = PropertyId, invoice_id: int = InvoiceId
) -> Invoice:
    access = property_for(request, property_id, Action.VOID_INVOICE)
    invoice_services.void_invoice(
        actor=access.user, property=access.property, invoice_id=invoice_id, reason=payload.reason
    )
    return _invoice(access, invoice_id)
