"""The API's schemas of payments: one payment, the Paiements list with its filters and totals, an invoice
with its payments, and what recording, reversing and remitting take and answer."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import BeforeValidator

from logis.api.invoice_schemas import InvoiceLineOut, InvoiceOut
from logis.api.schemas import Note, PageOut, PageParams, Reason, Reference, StrictSchema, UnitRef
from logis.api.types import BodyId, DateIn, Id, MoneyIn, MoneyOut, _text_in
from logis.payments.models import PaymentKind, PaymentStatus


class PaymentMethodCode(StrEnum):
    """Every method a payment may carry (``credit``: the unit's credit applied to an invoice)."""

    CARD = "card"
    ACSS_DEBIT = "acss_debit"
    INTERAC = "interac"
    CHEQUE = "cheque"
    CASH = "cash"
    OTHER = "other"
    CREDIT = "credit"


class ManualMethodCode(StrEnum):
    """The methods of a payment recorded by hand (online payments come through Stripe)."""

    CHEQUE = "cheque"
    INTERAC = "interac"
    CASH = "cash"
    OTHER = "other"


class PaymentOut(Schema):
    id: int
    invoice: int = Field(description="The invoice's id.")
    invoice_number: int | None
    unit: UnitRef
    kind: PaymentKind = Field(description="``reversal`` and ``refund`` give money back on ``reverses``.")
    status: PaymentStatus
    method: PaymentMethodCode
    amount: MoneyOut = Field(
        description="Always positive; a reversal or refund lowers what the invoice received."
    )
    signed_amount: MoneyOut = Field(
        description=(
            "The money that moved: ``amount`` for a payment, ``-amount`` for a reversal or refund "
            '(e.g. "-50.00"), as the Paiements page and payments.csv show it.'
        )
    )
    paid_on: dt.date = Field(description="The property's local date.")
    reference: str
    note: str
    reverses: int | None = Field(description="For a reversal or refund: the payment it gives money back on.")
    provider_payment_id: str = Field(description="Stripe's id for an online payment; empty otherwise.")
    created_at: dt.datetime

    @staticmethod
    def resolve_signed_amount(obj: Any) -> Decimal:
        return obj.amount if obj.kind == PaymentKind.PAYMENT else -obj.amount

    @staticmethod
    def resolve_invoice(obj: Any) -> int:
        return int(obj.invoice_id)

    @staticmethod
    def resolve_invoice_number(obj: Any) -> int | None:
        return obj.invoice.number  # type: ignore[no-any-return]

    @staticmethod
    def resolve_reverses(obj: Any) -> int | None:
        return obj.reverses_id  # type: ignore[no-any-return]


# The invoice with its payments: here, beside the PaymentOut it lists.
class InvoiceDetailOut(InvoiceOut):
    payments: list[PaymentOut] = Field(description="Payments, reversals and refunds, newest first.")
    lines: list[InvoiceLineOut] = Field(
        description="The invoice's lines; ``amount`` is the sum of their totals."
    )

    @staticmethod
    def resolve_lines(obj: Any) -> list[Any]:
        return list(obj.lines_list)

    @staticmethod
    def resolve_payments(obj: Any) -> list[Any]:
        return list(obj.payments_list)


class PaymentTotalsOut(Schema):
    received: MoneyOut = Field(description="Money received (every method but credit).")
    returned: MoneyOut = Field(
        description="Money given back: reversals and refunds, and unit credit refunded to residents."
    )
    net: MoneyOut = Field(description="received - returned: the money that moved.")
    credit_applied: MoneyOut = Field(description="Unit credit applied to invoices, net of its reversals.")
    credit_refunded: MoneyOut = Field(
        description=(
            "Unit credit given back to residents by hand (cheque, transfer, cash); part of ``returned``."
        )
    )


class PaymentPage(PageOut):
    totals: PaymentTotalsOut = Field(
        description="Over every payment matching the filters, not only this page."
    )
    items: list[PaymentOut]


class PaymentFilters(PageParams):
    method: PaymentMethodCode | None = None
    kind: PaymentKind | None = None
    status: PaymentStatus | None = None
    unit: Id | None = Field(None, description="A unit's id.")
    date_from: DateIn | None = Field(None, description="Paid on or after this date.")
    date_to: DateIn | None = Field(None, description="Paid on or before this date.")


class PaymentIn(StrictSchema):
    amount: MoneyIn = Field(description='Greater than 0 and at most the balance due, as a string: "250.00".')
    paid_on: DateIn = Field(description="The date it was paid; not in the future (property's time zone).")
    method: ManualMethodCode
    reference: Reference = Field("", description="Cheque number, transfer reference…")
    note: Note = ""


class RemittanceIn(StrictSchema):
    amount: MoneyIn = Field(
        description='Greater than 0, as a string: "650.00". What no invoice needs becomes the unit\'s credit.'
    )
    paid_on: DateIn = Field(description="The date it was paid; not in the future (property's time zone).")
    method: ManualMethodCode
    reference: Reference = Field("", description="Cheque number, transfer reference…")
    payer: Annotated[str, BeforeValidator(_text_in), Field(max_length=200)] = Field(
        "", description="Who paid, as the receipt's « Reçu de » says; the unit's primary resident if empty."
    )
    note: Note = ""
    invoices: list[BodyId] = Field(
        default_factory=list,
        max_length=500,
        description=(
            "The open invoices of the unit the payer designated (art. 1569 C.c.Q.), paid first in this "
            "order; "
            "empty: late fees and interest first, then the oldest amounts due (art. 1570–1572)."
        ),
    )


class RemittanceOut(Schema):
    id: int
    unit: int = Field(description="The unit's id.")
    amount: MoneyOut
    paid_on: dt.date
    method: PaymentMethodCode
    reference: str
    payer: str
    rule: str = Field(description="``designated`` when the payer chose invoices, else ``default``.")
    excess: MoneyOut = Field(description="What went to the unit's credit.")
    payments: list[PaymentOut] = Field(description="One payment per invoice paid, with its amount.")


class ReverseIn(StrictSchema):
    reason: Reason = Field(description="Why the payment is reversed (required).")


class PaymentResultOut(Schema):
    payment: PaymentOut = Field(description="The payment recorded (or the reversal).")
    invoice: InvoiceOut = Field(description="The invoice as it is now.")
