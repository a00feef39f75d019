"""The endpoints of API v1: thin, as the pages are. Each loads its property as ``property_view`` does
(404 without a role, 403 when the role may not), reads through the selectors and changes through the
services; the services check the role again and every rule of the product."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Header, Path, Query, Router, Status, UploadedFile

from logis.api.auth import PropertyAccess, actor, property_for
from logis.api.schemas import (
    IDEMPOTENCY_KEY_MAX,
    FieldErrorsOut,
    ImportOut,
    ImportRefusedOut,
    InvoiceCreateIn,
    InvoiceDetailOut,
    InvoiceFilters,
    InvoiceLineIn,
    InvoiceOut,
    InvoicePage,
    InvoiceUpdateIn,
    MessageOut,
    PageParams,
    PaymentFilters,
    PaymentIn,
    PaymentPage,
    PaymentResultOut,
    PropertyCreateIn,
    PropertyOut,
    PropertyPage,
    PublishOut,
    RemittanceIn,
    RemittanceOut,
    ReverseIn,
    SummaryOut,
    UnitPage,
    VoidIn,
)
from logis.api.types import MAX_ID
from logis.core.errors import NotFound, ValidationError
from logis.core.permissions import Action
from logis.imports import services as import_services
from logis.imports.parsing import MAX_BYTES
from logis.invoicing import selectors as invoice_selectors
from logis.invoicing import services as invoice_services
from logis.invoicing.lines import LineInput, lines_summary
from logis.invoicing.models import Invoice
from logis.payments import remittances
from logis.payments import selectors as payment_selectors
from logis.payments import services as payment_services
from logis.payments.models import Remittance
from logis.properties import selectors as property_selectors
from logis.properties import setup as property_setup

router = Router()

PropertyId = Path(..., ge=1, le=MAX_ID, description="A property's id.")
InvoiceId = Path(..., ge=1, le=MAX_ID, description="An invoice's id.")
PaymentId = Path(..., ge=1, le=MAX_ID, description="A payment's id.")
UnitId = Path(..., ge=1, le=MAX_ID, description="A unit's id.")

READ_ERRORS: dict[int, Any] = {401: MessageOut, 404: MessageOut, 422: FieldErrorsOut, 429: MessageOut}
WRITE_ERRORS: dict[int, Any] = {**READ_ERRORS, 400: FieldErrorsOut, 403: MessageOut, 409: MessageOut}
# A key for idempotent creation: the Idempotency-Key header, scoped to the user and the property.
IDEMPOTENCY_NAMESPACE = uuid.UUID("0b6f6f0e-7c1a-4c56-9a57-3f3e0e8f5a11")


def _page(request: HttpRequest, queryset: QuerySet[Any], params: PageParams) -> dict[str, Any]:
    """One page of ``queryset``: a COUNT and the rows, two queries whatever the page size.

    An unknown query parameter is refused rather than ignored: a misspelt filter (``stauts=overdue``)
    must not silently answer every row."""
    unknown = sorted(set(request.GET) - set(type(params).model_fields))
    if unknown:
        raise ValidationError({name: _("This parameter is not accepted here.") for name in unknown})
    return {
        "count": queryset.count(),
        "limit": params.limit,
        "offset": params.offset,
        "items": list(queryset[params.offset : params.offset + params.limit]),
    }


def _invoice(access: PropertyAccess, invoice_id: int) -> Invoice:
    invoice = invoice_selectors.get_invoice(access.property, invoice_id, access.today)
    if invoice is None:
        raise NotFound()
    return invoice


# --- Properties and units ---------------------------------------------------------------------------


@router.get(
    "/properties",
    response={200: PropertyPage, 401: MessageOut, 422: FieldErrorsOut, 429: MessageOut},
    summary="Your properties",
    description="The properties on which you hold a role, by name, with your role.",
    tags=["properties"],
)
def list_properties(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    return _page(request, property_selectors.properties_of(actor(request)), page)


@router.post(
    "/properties",
    response={
        201: PropertyOut,
        400: FieldErrorsOut,
        401: MessageOut,
        403: MessageOut,
        404: MessageOut,
        422: FieldErrorsOut,
        429: MessageOut,
    },
    summary="Create a property",
    description=(
        "Creates a property of an organization you administer, as the « Nouvelle propriété » wizard does "
        "(without a logo: add it from Paramètres > Propriété); you become its first administrator."
    ),
    tags=["properties"],
)
def create_property(request: HttpRequest, payload: PropertyCreateIn) -> Status[Any]:
    user = actor(request)
    profile = property_setup.clean_profile(
        name=payload.name,
        legal_name=payload.legal_name,
        neq=payload.neq,
        address=payload.address,
        timezone=payload.timezone,
        province=str(payload.province),
        language=str(payload.language),
        fiscal_year_start_month=payload.fiscal_year_start_month,
        first_invoice_number=payload.first_invoice_number,
    )
    prop = property_setup.create_property(actor=user, organization_id=payload.organization, profile=profile)
    return Status(201, property_selectors.properties_of(user).get(pk=prop.pk))


@router.get(
    "/properties/{int:property_id}/units",
    response={200: UnitPage, **READ_ERRORS},
    summary="Units",
    description="Units in natural order (2 < 10 < 101 < PH-1) with their primary resident and credit.",
    tags=["properties"],
)
def list_units(
    request: HttpRequest, page: Query[PageParams], property_id: int = PropertyId
) -> dict[str, Any]:
    access = property_for(request, property_id)
    units = payment_selectors.with_credit(property_selectors.unit_list(property=access.property))
    return _page(request, units, page)


# --- Invoices -------------------------------------------------------------------------------------


@router.get(
    "/properties/{int:property_id}/invoices",
    response={200: InvoicePage, **READ_ERRORS},
    summary="Invoices",
    description=(
        "The Factures list: filters, search and sorts of the page, paginated by limit and offset. "
        "``status=overdue`` is derived (open, due date passed in the property's time zone, balance due)."
    ),
    tags=["invoices"],
)
def list_invoices(
    request: HttpRequest, filters: Query[InvoiceFilters], property_id: int = PropertyId
) -> dict[str, Any]:
    access = property_for(request, property_id)
    invoices = invoice_selectors.invoice_list(
        access.property,
        access.today,
        invoice_selectors.InvoiceFilters(
            status=filters.status.value if filters.status else "",
            unit_id=filters.unit,
            due_from=filters.due_from,
            due_to=filters.due_to,
            search=(filters.search or "").strip(),
            sort=filters.sort.value,
        ),
    )
    return _page(request, invoices, filters)


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


def _creation_token(access: PropertyAccess, key: str | None, kind: str = "invoice") -> uuid.UUID | None:
    """The ``Idempotency-Key`` as the token the services know, for one user, property and kind of
    record (the same key may create an invoice and record a payment)."""
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > IDEMPOTENCY_KEY_MAX or not key.isprintable() or not key.isascii():
        raise ValidationError(
            {
                "Idempotency-Key": _(
                    "The Idempotency-Key header must be 1 to %(max)d printable ASCII characters."
                )
                % {"max": IDEMPOTENCY_KEY_MAX}
            }
        )
    scope = f"{access.user.pk}:{access.property.pk}:{key}"
    # Invoices keep the name they had before payments took keys too (their tokens must not change).
    return uuid.uuid5(IDEMPOTENCY_NAMESPACE, scope if kind == "invoice" else f"{kind}:{scope}")


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


# --- Payments -------------------------------------------------------------------------------------


@router.get(
    "/properties/{int:property_id}/payments",
    response={200: PaymentPage, **READ_ERRORS},
    summary="Payments",
    description="The Paiements page: payments, reversals and refunds, newest first, with filters and totals.",
    tags=["payments"],
)
def list_payments(
    request: HttpRequest, filters: Query[PaymentFilters], property_id: int = PropertyId
) -> dict[str, Any]:
    access = property_for(request, property_id)
    chosen = payment_selectors.PaymentFilters(
        method=filters.method.value if filters.method else "",
        kind=filters.kind.value if filters.kind else "",
        status=filters.status.value if filters.status else "",
        unit_id=filters.unit,
        date_from=filters.date_from,
        date_to=filters.date_to,
    )
    payments = payment_selectors.payment_list(property=access.property, filters=chosen)
    credit_refunds = payment_selectors.credit_refund_list(property=access.property, filters=chosen)
    return {
        **_page(request, payments, filters),
        "totals": payment_selectors.payment_totals(payments, credit_refunds),
    }


@router.post(
    "/properties/{int:property_id}/invoices/{int:invoice_id}/payments",
    response={201: PaymentResultOut, 200: PaymentResultOut, **WRITE_ERRORS},
    summary="Record a payment",
    description=(
        "A manual payment (cheque, Interac, cash, other) on an open invoice: partial allowed, never more "
        "than the balance due. At 0 the invoice is paid; the resident's receipt is queued. With an "
        "``Idempotency-Key`` header, sending the same key again (same user, same property) records nothing "
        "and answers 200 with the payment the first request recorded; the same key on another invoice "
        "answers 409. Without one, every request records a payment."
    ),
    tags=["payments"],
)
def record_payment(
    request: HttpRequest,
    payload: PaymentIn,
    property_id: int = PropertyId,
    invoice_id: int = InvoiceId,
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        description="Any string of 1 to 255 printable ASCII characters, unique per payment to record.",
    ),
) -> Status[dict[str, Any]]:
    access = property_for(request, property_id, Action.RECORD_PAYMENT)
    payment, created = payment_services.record_payment_once(
        actor=access.user,
        property=access.property,
        invoice_id=invoice_id,
        amount=payload.amount,
        paid_on=payload.paid_on,
        method=payload.method.value,
        reference=payload.reference,
        note=payload.note,
        request_token=_creation_token(access, idempotency_key, "payment"),
    )
    return Status(201 if created else 200, _payment_result(access, payment.pk))


@router.post(
    "/properties/{int:property_id}/payments/{int:payment_id}/reverse",
    response={201: PaymentResultOut, **WRITE_ERRORS},
    summary="Reverse a payment",
    description=(
        "A payment recorded by mistake is cancelled by a reversal (a new record; nothing is deleted), "
        "which reopens the invoice. Online payments are refunded, not reversed (409)."
    ),
    tags=["payments"],
)
def reverse_payment(
    request: HttpRequest, payload: ReverseIn, property_id: int = PropertyId, payment_id: int = PaymentId
) -> Status[dict[str, Any]]:
    access = property_for(request, property_id, Action.RECORD_PAYMENT)
    reversal = payment_services.reverse_payment(
        actor=access.user, property=access.property, payment_id=payment_id, reason=payload.reason
    )
    return Status(201, _payment_result(access, reversal.pk))


@router.post(
    "/properties/{int:property_id}/units/{int:unit_id}/remittances",
    response={201: RemittanceOut, 200: RemittanceOut, **WRITE_ERRORS},
    summary="Record one payment for several invoices",
    description=(
        "One cheque or transfer for several open invoices of a unit (decision 0032): applied to the "
        "``invoices`` designated, otherwise to late fees and interest first, then to the oldest amounts due "
        "(C.c.Q. art. 1569–1572); one payment per invoice paid, the excess to the unit's credit, one receipt "
        "queued. ``Idempotency-Key`` as for a single payment."
    ),
    tags=["payments"],
)
def record_remittance(
    request: HttpRequest,
    payload: RemittanceIn,
    property_id: int = PropertyId,
    unit_id: int = UnitId,
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        description="Any string of 1 to 255 printable ASCII characters, unique per payment to record.",
    ),
) -> Status[dict[str, Any]]:
    access = property_for(request, property_id, Action.RECORD_PAYMENT)
    token = _creation_token(access, idempotency_key, "remittance")
    existed = token is not None and Remittance.objects.filter(request_token=token).exists()
    remittance = remittances.record_remittance(
        actor=access.user,
        property=access.property,
        unit_id=unit_id,
        amount=payload.amount,
        paid_on=payload.paid_on,
        method=payload.method.value,
        reference=payload.reference,
        note=payload.note,
        payer=payload.payer,
        designated=payload.invoices,
        request_token=token,
    )
    payments = (
        payment_selectors.payment_list(property=access.property, filters=payment_selectors.PaymentFilters())
        .filter(remittance=remittance, kind="payment")
        .order_by("pk")
    )
    body = {
        "id": remittance.pk,
        "unit": remittance.unit_id,
        "amount": remittance.amount,
        "paid_on": remittance.paid_on,
        "method": remittance.method,
        "reference": remittance.reference,
        "payer": remittance.payer,
        "rule": remittance.rule,
        "excess": remittance.excess,
        "payments": list(payments),
    }
    return Status(200 if existed else 201, body)


def _payment_result(access: PropertyAccess, payment_id: int) -> dict[str, Any]:
    payment = (
        payment_selectors.payment_list(property=access.property, filters=payment_selectors.PaymentFilters())
        .filter(pk=payment_id)
        .get()
    )
    return {"payment": payment, "invoice": _invoice(access, payment.invoice_id)}


# --- Imports --------------------------------------------------------------------------------------


def _import_body(
    batch_id: int, plan: import_services.ImportPlan, *, dry_run: bool, imported: bool
) -> dict[str, Any]:
    return {
        "id": batch_id,
        "dry_run": dry_run,
        "imported": imported,
        "rows": plan.rows,
        "counts": plan.counts,
        "errors": [{"line": e.line, "column": e.column, "message": e.message} for e in plan.errors],
        "unknown_columns": plan.unknown_columns,
        "notices": plan.notices,
        "shares_total": None if plan.shares_total is None else format(plan.shares_total, "f"),
        "shares_balanced": plan.shares_balanced,
    }


@router.post(
    "/properties/{int:property_id}/imports",
    response={200: ImportOut, 201: ImportOut, **WRITE_ERRORS, 422: ImportRefusedOut},
    summary="Import units, residents and opening balances",
    description=(
        "A CSV (UTF-8 or Windows-1252, ``,`` or ``;``) or XLSX file as « Unités > Importer » takes it "
        "(at most 10 MB). With ``dry_run=1`` nothing is written: 200 with what would be created, changed "
        "and refused. "
        "Otherwise 201 once imported in one transaction, or 422 with ``row_errors`` and nothing written."
    ),
    tags=["imports"],
)
def create_import(
    request: HttpRequest,
    file: File[UploadedFile],
    property_id: int = PropertyId,
    dry_run: bool = Query(False, description="1: preview only, nothing is written."),  # type: ignore[type-arg]
) -> Status[dict[str, Any]]:
    access = property_for(request, property_id, Action.MANAGE_UNITS)
    if file.size is not None and file.size > MAX_BYTES:
        raise ValidationError({"file": _("The file is larger than %(max)d MB: split it.") % {"max": 10}})
    batch, plan = import_services.preview_import(
        actor=access.user, property=access.property, name=file.name or "import", data=file.read()
    )
    if dry_run:
        return Status(200, _import_body(batch.pk, plan, dry_run=True, imported=False))
    if not plan.ok:
        return Status(
            422,
            {
                "errors": {"file": [_("The file has refused rows: correct them and upload it again.")]},
                "row_errors": _import_body(batch.pk, plan, dry_run=False, imported=False)["errors"],
            },
        )
    applied, plan = import_services.apply_import(
        actor=access.user, property=access.property, batch_id=batch.pk
    )
    return Status(201, _import_body(applied.pk, plan, dry_run=False, imported=True))
