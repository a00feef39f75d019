"""The API's schemas of invoices: the list and its filters and sorts, one invoice with its lines, the
four cards, and what creating, editing, publishing and voiding take and answer."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import BeforeValidator, ValidationInfo, WithJsonSchema
from pydantic_core import PydanticCustomError

from logis.api.schemas import (
    Description,
    LineDescription,
    PageOut,
    PageParams,
    Reason,
    Search,
    StrictSchema,
    Title,
    UnitRef,
)
from logis.api.types import MONEY_IN_PATTERN, BodyBool, BodyId, DateIn, Id, MoneyIn, MoneyOut, _money_in
from logis.invoicing.lines import MAX_LINES
from logis.invoicing.models import InvoiceStatus


class FundKindCode(StrEnum):
    OPERATING = "operating"
    CONTINGENCY = "contingency"
    SELF_INSURANCE = "self_insurance"
    CUSTOM = "custom"


class InvoiceSort(StrEnum):
    """The Factures page's sorts; a leading ``-`` sorts in descending order."""

    NUMBER = "number"
    NUMBER_DESC = "-number"
    UNIT = "unit"
    UNIT_DESC = "-unit"
    TITLE = "title"
    TITLE_DESC = "-title"
    AMOUNT = "amount"
    AMOUNT_DESC = "-amount"
    BALANCE = "balance"
    BALANCE_DESC = "-balance"
    DUE = "due"
    DUE_DESC = "-due"
    STATUS = "status"
    STATUS_DESC = "-status"
    CREATED = "created"
    CREATED_DESC = "-created"


class InvoiceOut(Schema):
    id: int
    number: int | None = Field(description="Given at publishing; null for a draft.")
    unit: UnitRef
    title: str
    description: str
    amount: MoneyOut
    amount_paid: MoneyOut
    balance_due: MoneyOut = Field(description="What is still owed (0.00 for drafts and void invoices).")
    due_date: dt.date = Field(description="The property's local date.")
    status: InvoiceStatus = Field(
        description="``overdue`` is derived: open, due date passed, balance due > 0."
    )
    notify_resident: bool
    void_reason: str
    created_at: dt.datetime
    published_at: dt.datetime | None
    paid_at: dt.datetime | None
    voided_at: dt.datetime | None

    @staticmethod
    def resolve_status(obj: Any) -> str:
        return str(obj.display_status)


class InvoicePage(PageOut):
    items: list[InvoiceOut]


class FundRef(Schema):
    id: int
    name: str = Field(description="In the request's language unless the syndicate renamed it.")
    kind: FundKindCode

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj.display_name)


class CategoryRef(Schema):
    id: int
    name: str = Field(description="In the request's language unless the syndicate renamed it.")
    code: str = Field(
        description="``condo_fees``, ``late_fee``...: the categories Logis creates; empty otherwise."
    )
    taxable: bool = Field(description="Its lines add GST (5 %) and QST (9.975 %) when they are written.")
    fund: FundRef

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj.display_name)


class InvoiceLineOut(Schema):
    position: int
    description: str
    category: CategoryRef
    amount: MoneyOut = Field(description="Before taxes.")
    gst_amount: MoneyOut = Field(description="GST of this line, rounded to the cent (0.00 when exempt).")
    qst_amount: MoneyOut = Field(description="QST of this line, rounded to the cent (0.00 when exempt).")
    total: MoneyOut = Field(description="amount + gst_amount + qst_amount.")


class CardOut(Schema):
    amount: MoneyOut
    count: int


class SummaryOut(Schema):
    today: dt.date = Field(description="The property's local date the cards were computed for.")
    total: CardOut = Field(description="Open + overdue + paid (drafts and void invoices count in no card).")
    open: CardOut = Field(description="Published, not overdue: the sum of their balance due.")
    overdue: CardOut = Field(
        description="Open with the due date passed and a balance due: their balance due."
    )
    paid: CardOut = Field(description="Paid invoices: the sum of their amount.")


class InvoiceFilters(PageParams):
    status: InvoiceStatus | None = Field(
        None, description="``overdue`` and ``open`` as the Factures page shows them."
    )
    unit: Id | None = Field(None, description="A unit's id.")
    due_from: DateIn | None = Field(None, description="Due on or after this date.")
    due_to: DateIn | None = Field(None, description="Due on or before this date.")
    search: Search | None = Field(None, description="In the title or the unit number.")
    sort: InvoiceSort = Field(InvoiceSort.CREATED_DESC, description="Newest first unless asked otherwise.")


def _amount_or_lines(value: Any, info: ValidationInfo) -> Decimal | None:
    """``amount`` is required unless ``lines`` are sent (its default "" means: not sent)."""
    if isinstance(value, str) and value == "":
        if info.data.get("lines") is not None:
            return None
        raise PydanticCustomError("missing", "Field required")
    return _money_in(value)


AmountOrLines = Annotated[
    Decimal | None,
    BeforeValidator(_amount_or_lines),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": MONEY_IN_PATTERN,
            "description": "An amount in dollars, as a string with at most two decimals (never a number).",
            "examples": ["1234.50"],
        }
    ),
]


class InvoiceLineIn(StrictSchema):
    description: LineDescription
    category: BodyId | None = Field(
        None, description="A category of this property; null: its default category."
    )
    amount: MoneyIn = Field(description='Before taxes, greater than 0, as a string: "1234.50".')


class InvoiceCreateIn(StrictSchema):
    unit: BodyId = Field(description="A unit of this property (with or without a primary resident).")
    title: Title
    lines: list[InvoiceLineIn] | None = Field(
        None, max_length=MAX_LINES, description="Optional: the invoice's lines (1 to 50)."
    )
    amount: AmountOrLines = Field(
        "",
        validate_default=True,
        description=(
            'Greater than 0, as a string: "1234.50". Without ``lines``: required, the invoice is one line '
            "of this amount in the property's default category. With ``lines``: optional, and if sent it "
            "must equal their total (taxes included)."
        ),
    )
    due_date: DateIn = Field(description="Today or later in the property's time zone.")
    description: Description = ""
    notify_resident: BodyBool = Field(False, description="Email the unit's primary resident when published.")


class InvoiceUpdateIn(StrictSchema):
    """Only the fields sent change; the others keep their value. A draft without payments only."""

    unit: BodyId | None = None
    title: Title | None = None
    amount: MoneyIn | None = Field(
        None, description="A draft of one line: its new amount. With several lines, send ``lines`` instead."
    )
    lines: list[InvoiceLineIn] | None = Field(
        None, max_length=MAX_LINES, description="The draft's new lines, replacing all of them."
    )
    due_date: DateIn | None = None
    description: Description | None = None
    notify_resident: BodyBool | None = None


class VoidIn(StrictSchema):
    reason: Reason = Field(description="Why the invoice is void (required).")


class EmailOutcomeOut(Schema):
    requested: bool = Field(description="The invoice asks for the resident to be emailed.")
    to: str | None = Field(description="Where the email was queued (or is being written by the worker).")
    not_sent_because: str | None = Field(description="Why no email will be sent, in the request's language.")


class PublishOut(Schema):
    invoice: InvoiceOut
    email: EmailOutcomeOut
