"""The API's typed schemas (OpenAPI 3 is generated from them). Enum values are stable English codes."""

from __future__ import annotations

from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import BeforeValidator, ConfigDict, StrictInt

from logis.api.types import (
    BodyId,
    MoneyOut,
    _strict_int,
    _text_in,
)
from logis.core.language import Language
from logis.core.permissions import Role
from logis.invoicing.lines import LINE_DESCRIPTION_MAX
from logis.invoicing.models import DESCRIPTION_MAX
from logis.invoicing.rules import REASON_MAX, TITLE_MAX
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
CURSOR_MAX = 2_100  # the sort values of one row (a title of 200 characters at most), encoded and signed

Title = Annotated[str, BeforeValidator(_text_in), Field(max_length=TITLE_MAX)]
Reason = Annotated[str, BeforeValidator(_text_in), Field(max_length=REASON_MAX)]
Reference = Annotated[str, BeforeValidator(_text_in), Field(max_length=REFERENCE_MAX)]
Search = Annotated[str, BeforeValidator(_text_in), Field(max_length=SEARCH_MAX)]
Description = Annotated[str, BeforeValidator(_text_in), Field(max_length=DESCRIPTION_MAX)]
Note = Annotated[str, BeforeValidator(_text_in), Field(max_length=NOTE_MAX)]
LineDescription = Annotated[str, BeforeValidator(_text_in), Field(max_length=LINE_DESCRIPTION_MAX)]


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
        description=(
            f"Rows to skip (at most {MAX_OFFSET:,}). Kept for existing clients: prefer ``cursor``, whose "
            "pages cost the same at any depth. Not with ``cursor``."
        ),
    )
    cursor: str | None = Field(
        None,
        max_length=CURSOR_MAX,
        description=(
            "Page by cursor (preferred): empty (``cursor=``) for the first page, then the ``next_cursor`` "
            "(or ``previous_cursor``) of the answer, with the same filters and sort. The answer then has "
            "no ``count`` (null). A cursor this list did not give, or given for another sort, is refused "
            "(422): start again with an empty one."
        ),
    )


class PageOut(Schema):
    """What every list answers beside its items."""

    count: int | None = Field(
        description="Rows matching the filters, when paging by offset; null when paging by cursor."
    )
    limit: int
    offset: int | None = Field(description="As asked when paging by offset; null when paging by cursor.")
    next_cursor: str | None = Field(
        description="The cursor of the next page (send it as ``cursor``); null on the last page."
    )
    previous_cursor: str | None = Field(
        description="The cursor of the page before this one; null on the first page."
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


class PropertyPage(PageOut):
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


class UnitPage(PageOut):
    items: list[UnitOut]


class UnitRef(Schema):
    id: int
    number: str


# --- Changing -------------------------------------------------------------------------------------


class StrictSchema(Schema):
    # An unknown field is refused: a misspelt "titel" must not be silently ignored.
    model_config = ConfigDict(extra="forbid")


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
