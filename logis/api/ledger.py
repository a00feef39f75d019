"""API v1 over the ledger: the trial balance as of a date and the journal's entries, paged like the
other lists (decision 0029). Read-only; the roles that see Rapports see them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from logis.api import paging
from logis.api.auth import property_for
from logis.api.common import READ_ERRORS, PropertyId
from logis.api.schemas import MessageOut, PageOut, PageParams
from logis.api.types import DateIn, MoneyOut
from logis.core.permissions import Action
from logis.ledger import selectors
from logis.ledger.models import AccountKind, AccountType, EntryKind

router = Router()


class AccountOut(Schema):
    id: int
    code: str = Field(description="The account's code (1010 bank, 1100 receivable, 4xxx revenue…).")
    name: str = Field(description="In the request's language.")
    kind: AccountKind
    type: AccountType
    category: int | None = Field(description="A revenue account's charge category.")
    fund: int | None = Field(description="A revenue account's fund.")

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj.display_name)

    @staticmethod
    def resolve_category(obj: Any) -> int | None:
        return int(obj.category_id) if obj.category_id else None

    @staticmethod
    def resolve_fund(obj: Any) -> int | None:
        return int(obj.category.fund_id) if obj.category_id else None


class TrialBalanceRowOut(Schema):
    account: AccountOut
    debit: MoneyOut = Field(description="The account's balance when it is a debit balance, else 0.00.")
    credit: MoneyOut = Field(description="The account's balance when it is a credit balance, else 0.00.")


class TrialBalanceOut(Schema):
    as_of: dt.date
    rows: list[TrialBalanceRowOut]
    total_debit: MoneyOut
    total_credit: MoneyOut = Field(description="Always equal to total_debit.")


class AsOfParams(Schema):
    as_of: DateIn | None = Field(None, description="Entries dated on or before this day (default: today).")


class JournalLineOut(Schema):
    account: str = Field(description="The account's code.")
    account_name: str
    unit: int | None = Field(description="The unit of a receivable or unit-credit line.")
    fund: int | None
    debit: MoneyOut
    credit: MoneyOut

    @staticmethod
    def resolve_account(obj: Any) -> str:
        return str(obj.account.code)

    @staticmethod
    def resolve_account_name(obj: Any) -> str:
        return str(obj.account.display_name)

    @staticmethod
    def resolve_unit(obj: Any) -> int | None:
        return int(obj.unit_id) if obj.unit_id else None

    @staticmethod
    def resolve_fund(obj: Any) -> int | None:
        return int(obj.fund_id) if obj.fund_id else None


class JournalEntryOut(Schema):
    id: int
    date: dt.date = Field(description="The accounting date (the property's local date).")
    kind: EntryKind
    memo: str
    source_type: str = Field(description="What the entry records: invoice, payment or unit_credit.")
    source_id: int | None
    reverses: int | None = Field(description="The entry this one reverses.")
    lines: list[JournalLineOut]

    @staticmethod
    def resolve_reverses(obj: Any) -> int | None:
        return int(obj.reverses_id) if obj.reverses_id else None

    @staticmethod
    def resolve_lines(obj: Any) -> list[Any]:
        return list(obj.lines.all())


class JournalPage(PageOut):
    items: list[JournalEntryOut]


@router.get(
    "/properties/{int:property_id}/ledger/trial-balance",
    response={200: TrialBalanceOut, **READ_ERRORS, 403: MessageOut},
    summary="Trial balance",
    description="Every account of the property's ledger with its balance as of a date, in a debit or a "
    "credit column; the two totals are equal.",
    tags=["ledger"],
)
def trial_balance(request: HttpRequest, params: Query[AsOfParams], property_id: int = PropertyId) -> Any:
    access = property_for(request, property_id, Action.VIEW_REPORTS)
    as_of = params.as_of or access.today
    return selectors.trial_balance(property=access.property, as_of=as_of)


@router.get(
    "/properties/{int:property_id}/ledger/entries",
    response={200: JournalPage, **READ_ERRORS, 403: MessageOut},
    summary="Journal entries",
    description="The ledger's entries with their lines, newest first. Entries are never changed: a "
    "correction is a new entry that names the one it reverses.",
    tags=["ledger"],
)
def journal_entries(
    request: HttpRequest, page: Query[PageParams], property_id: int = PropertyId
) -> dict[str, Any]:
    access = property_for(request, property_id, Action.VIEW_REPORTS)
    entries = selectors.journal_entries(property=access.property).order_by("-date", "-id")
    return paging.page(request, entries, page, kind="journal", order=selectors.JOURNAL_ORDER)
