"""The API's typed schemas (OpenAPI 3 is generated from them). Enum values are stable English codes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import BeforeValidator, ConfigDict, StrictInt, ValidationInfo, WithJsonSchema
from pydantic_core import PydanticCustomError

from logis.api.types import (
    MONEY_IN_PATTERN,
    BodyBool,
    BodyId,
    DateIn,
    Id,
    MoneyIn,
    MoneyOut,
    _money_in,
    _strict_int,
    _text_in,
)
from logis.core.language import Language
from logis.core.permissions import Role
from logis.invoicing.lines import LINE_DESCRIPTION_MAX, MAX_LINES
from logis.invoicing.models import InvoiceStatus
from logis.invoicing.services import DESCRIPTION_MAX, REASON_MAX, TITLE_MAX
from logis.payments.models import PaymentKind, PaymentStatus
from logis.payments.services import NOTE_MAX
from logis.properties.models import Province

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# Deep offsets make the database count and skip every row before them: past this, narrow the list with
# its filters (dates, unit, status) instead. A larger offset is refused (422) with the limit in its message.
MAX_OFFSET = 10_000
REFERENCE_MAX = 120  # logis.payments.services.record_payment refuses longer references
SEARCH_MAX = 100  # as the Factures page's search field
IDEMPOTENCY_KEY_MAX = 255

Title = Annotated[str, BeforeValidator(_text_in), Field(max_length=TITLE_MAX)]
Reason = Annotated[str, BeforeValidator(_text_in), Field(max_length=REASON_MAX)]
Reference = Annotated[str, BeforeValidator(_text_in), Field(max_length=REFERENCE_MAX)]
Search = Annotated[str, BeforeValidator(_text_in), Field(max_length=SEARCH_MAX)]
Description = Annotated[str, BeforeValidator(_text_in), Field(max_length=DESCRIPTION_MAX)]
Note = Annotated[str, BeforeValidator(_text_in), Field(max_length=NOTE_MAX)]
LineDescription = Annotated[str, BeforeValidator(_text_in), Field(max_length=LINE_DESCRIPTION_MAX)]


class FundKindCode(StrEnum):
    OPERATING = "operating"
    CONTINGENCY = "contingency"
    SELF_INSURANCE = "self_insurance"
    CUSTOM = "custom"


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


# --- Errors ----------------------------------------------------------------------------------------


class MessageOut(Schema):
    message: str = Field(description="What went wrong, in the language of Accept-Language (fr default, en).")


class FieldErrorsOut(Schema):
    errors: dict[str, list[str]] = Field(
        description="Messages by field (``__all__``: the request as a whole), in the request's language.",
        examples=[{"amount": ["Le montant doit être supérieur à 0 $."]}],
    )


# --- Reading --------------------------------------------------------------------------------------


class PageParams(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"Rows per page (at most {MAX_LIMIT}).")
    offset: int = Field(
        0,
        ge=0,
        le=MAX_OFFSET,
        description=f"Rows to skip (at most {MAX_OFFSET:,}: beyond, narrow the list with its filters).",
    )


class PropertyOut(Schema):
    id: int
    name: str
    address: str
    timezone: str = Field(description="The property's time zone: its due dates and 'today' are local to it.")
    province: Province = Field(description="Province or territory (QC: documents French first).")
    currency: str
    language: Language
    payments_enabled: bool
    role: Role = Field(description="Your role on this property.")
    unit_count: int

    @staticmethod
    def resolve_role(obj: Any) -> str:
        return str(obj.my_role)


class PropertyPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[PropertyOut]


class ResidentRef(Schema):
    id: int
    name: str
    email: str


class UnitOut(Schema):
    id: int
    number: str
    share: str | None = Field(description='Quote-part in percent, four decimals ("4.1667"), or null.')
    primary_resident: ResidentRef | None
    credit: MoneyOut = Field(description="Credit on the unit's account, usable against its invoices.")

    @staticmethod
    def resolve_share(obj: Any) -> str | None:
        return None if obj.share is None else f"{obj.share:.4f}"

    @staticmethod
    def resolve_primary_resident(obj: Any) -> dict[str, Any] | None:
        if obj.primary_resident_id is None:
            return None
        return {
            "id": obj.primary_resident_id,
            "name": obj.primary_resident_name or "",
            "email": obj.primary_resident_email or "",
        }


class UnitPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[UnitOut]


class UnitRef(Schema):
    id: int
    number: str


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


class InvoicePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[InvoiceOut]


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


class PaymentPage(Schema):
    count: int
    limit: int
    offset: int
    totals: PaymentTotalsOut = Field(
        description="Over every payment matching the filters, not only this page."
    )
    items: list[PaymentOut]


class InvoiceFilters(PageParams):
    status: InvoiceStatus | None = Field(
        None, description="``overdue`` and ``open`` as the Factures page shows them."
    )
    unit: Id | None = Field(None, description="A unit's id.")
    due_from: DateIn | None = Field(None, description="Due on or after this date.")
    due_to: DateIn | None = Field(None, description="Due on or before this date.")
    search: Search | None = Field(None, description="In the title or the unit number.")
    sort: InvoiceSort = Field(InvoiceSort.CREATED_DESC, description="Newest first unless asked otherwise.")


class PaymentFilters(PageParams):
    method: PaymentMethodCode | None = None
    kind: PaymentKind | None = None
    status: PaymentStatus | None = None
    unit: Id | None = Field(None, description="A unit's id.")
    date_from: DateIn | None = Field(None, description="Paid on or after this date.")
    date_to: DateIn | None = Field(None, description="Paid on or before this date.")


# --- Changing -------------------------------------------------------------------------------------


class StrictSchema(Schema):
    # An unknown field is refused: a misspelt "titel" must not be silently ignored.
    model_config = ConfigDict(extra="forbid")


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


class PropertyCreateIn(StrictSchema):
    """A new property, as the set-up wizard creates it; you become its first administrator."""

    organization: BodyId | None = Field(
        None, description="The organization it belongs to; optional when you administer only one."
    )
    name: Annotated[str, BeforeValidator(_text_in), Field(min_length=1, max_length=120)]
    legal_name: Annotated[str, BeforeValidator(_text_in), Field(max_length=200)] = ""
    neq: Annotated[str, BeforeValidator(_text_in), Field(max_length=20)] = Field(
        "", description="Quebec enterprise number: 10 digits (spaces and dashes ignored)."
    )
    address: Annotated[str, BeforeValidator(_text_in), Field(max_length=255)] = ""
    timezone: Annotated[str, BeforeValidator(_text_in), Field(max_length=64)] = Field(
        "America/Toronto", description="An IANA time zone; Quebec: America/Toronto."
    )
    province: Province = Field(
        Province.QC,
        description="Province or territory. In Quebec invoices and receipts are French first (s. 57 of the "
        "Charter of the French language): an English reader gets them in French with English beside.",
    )
    language: Language = Field(Language.FR, description="Language of documents.")
    fiscal_year_start_month: Annotated[StrictInt, BeforeValidator(_strict_int), Field(ge=1, le=12)] = 1
    first_invoice_number: Annotated[StrictInt, BeforeValidator(_strict_int), Field(ge=1, le=999_999_999)] = 1


# --- Imports --------------------------------------------------------------------------------------


class ImportRowErrorOut(Schema):
    line: int = Field(description="Line of the file (1: the header line; 0: the file as a whole).")
    column: str = Field(description="The column's header as written in the file (empty: the whole row).")
    message: str = Field(description="Why the row is refused, in the request's language.")


class ImportOut(Schema):
    id: int = Field(description="The import's id.")
    dry_run: bool = Field(description="True: a preview, nothing was written.")
    imported: bool = Field(description="True: the file was imported (one transaction).")
    rows: int = Field(description="Rows read (empty lines skipped).")
    counts: dict[str, int] = Field(
        description="Units, residents, links and opening balances created or updated."
    )
    errors: list[ImportRowErrorOut] = Field(description="Refused rows: any of them and nothing is imported.")
    unknown_columns: list[str] = Field(description="Columns not recognized, ignored.")
    notices: list[str] = Field(description="What the import decides on its own (a unit's primary resident).")
    shares_total: str | None = Field(description="Sum of the shares (%) after the import; null: no share.")
    shares_balanced: bool = Field(description="False: the shares do not add up to 100 % (shown, not fixed).")


class ImportRefusedOut(FieldErrorsOut):
    row_errors: list[ImportRowErrorOut] = Field(
        default_factory=list, description="Refused rows (line, column, reason); nothing was imported."
    )
