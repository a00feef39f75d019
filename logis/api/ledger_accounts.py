"""API v1: the property's chart of accounts with the codes and export names the treasurer gave them
(Rapports > Plan comptable, decision 0035). Read-only; the roles that see Rapports see it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router

from logis.api.auth import property_for
from logis.api.endpoints import READ_ERRORS, PropertyId
from logis.api.ledger import AccountOut
from logis.api.schemas import MessageOut
from logis.core.permissions import Action
from logis.ledger.accounts import chart_of_accounts

router = Router()


class ChartAccountOut(AccountOut):
    export_name: str = Field(description="The account's name in the treasurer's own books; empty: `name`.")


@router.get(
    "/properties/{int:property_id}/ledger/accounts",
    response={200: list[ChartAccountOut], **READ_ERRORS, 403: MessageOut},
    summary="Chart of accounts",
    description="The accounts of the property's ledger by code, with the name used in the exports. A "
    "chart holds a few dozen accounts: not paged.",
    tags=["ledger"],
)
def ledger_accounts(request: HttpRequest, property_id: int = PropertyId) -> Any:
    access = property_for(request, property_id, Action.VIEW_REPORTS)
    return list(chart_of_accounts(property=access.property))
