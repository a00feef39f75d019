"""API v1: payments (the Paiements list; record, reverse, one payment for several invoices)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Header, Query, Router, Status

from logis.api import paging
from logis.api.auth import PropertyAccess, property_for
from logis.api.common import (
    READ_ERRORS,
    WRITE_ERRORS,
    InvoiceId,
    PaymentId,
    PropertyId,
    UnitId,
    _creation_token,
    _invoice,
)
from logis.api.payment_schemas import (
    PaymentFilters,
    PaymentIn,
    PaymentPage,
    PaymentResultOut,
    RemittanceIn,
    RemittanceOut,
    ReverseIn,
)
from logis.core.permissions import Action
from logis.payments import remittances
from logis.payments import selectors as payment_selectors
from logis.payments import services as payment_services
from logis.payments import totals as payment_totals
from logis.payments.models import Remittance

router = Router()


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
    # No filter: the property's few summary rows, not every payment (docs/decisions/0033), as the page.
    if chosen == payment_selectors.PaymentFilters():
        totals = payment_selectors.property_payment_totals(property=access.property)
    else:
        credit_refunds = payment_selectors.credit_refund_list(property=access.property, filters=chosen)
        totals = payment_selectors.payment_totals(payments, credit_refunds)
    # By offset, the « count » of a list filtered at most by kind, status and method comes from the same
    # summary rows (a COUNT over 200,000 payments otherwise; decision 0041).
    count = None
    if filters.cursor is None and not (chosen.unit_id or chosen.date_from or chosen.date_to):
        count = payment_totals.known_count(
            access.property.pk, kind=chosen.kind, status=chosen.status, method=chosen.method
        )
    page = paging.page(request, payments, filters, kind="payments", count=count)
    return {**page, "totals": totals}


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
