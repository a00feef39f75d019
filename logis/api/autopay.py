"""API v1: automatic payment (decisions 0031, 0038), read-only: the property's enrolled units, each with its
next debit and the state of its latest one, as Paiements > Paiement automatique shows them."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from django.db.models import OuterRef, Subquery
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from logis.api import paging
from logis.api.auth import property_for
from logis.api.common import READ_ERRORS, PropertyId
from logis.api.schemas import PageOut, PageParams, UnitRef
from logis.api.types import MoneyOut
from logis.payments.models import (
    AUTOPAY_DEBIT_HELD,
    AutopayDebit,
    AutopayEnrolment,
    AutopayStatus,
)
from logis.payments.selectors import AUTOPAY_ORDER

router = Router()


class AutopayMethod(StrEnum):
    CARD = "card"
    ACSS_DEBIT = "acss_debit"


class AutopayDebitState(StrEnum):
    """``scheduled``: announced, not sent; ``submitting``: being sent; ``pending``: a debit clearing;
    ``succeeded``; ``failed`` (see ``last_debit_failure``); ``cancelled``: not debited."""

    SCHEDULED = "scheduled"
    SUBMITTING = "submitting"
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class AutopayEnrolmentOut(Schema):
    id: int
    unit: UnitRef
    enrolled_by: str = Field(description="The email of the resident who turned it on.")
    method: AutopayMethod
    method_label: str = Field(description="What the resident knows the account or card by: « •••• 6789 ».")
    since: dt.datetime
    include_open: bool = Field(
        description="The invoices open when it was turned on are debited too (else only later ones)."
    )
    next_debit_on: dt.date | None = Field(description="The next debit announced or clearing; null: none.")
    next_debit_amount: MoneyOut | None
    last_debit_on: dt.date | None = Field(description="The latest debit, whatever its state.")
    last_debit_state: AutopayDebitState | None
    last_debit_failure: str = Field(description="Stripe's code when the latest debit failed, else empty.")

    @staticmethod
    def resolve_unit(obj: AutopayEnrolment) -> dict[str, Any]:
        return {"id": obj.unit_id, "number": obj.unit.number}

    @staticmethod
    def resolve_enrolled_by(obj: AutopayEnrolment) -> str:
        return obj.user.email

    @staticmethod
    def resolve_since(obj: AutopayEnrolment) -> dt.datetime:
        return obj.created_at

    @staticmethod
    def resolve_last_debit_failure(obj: AutopayEnrolment) -> str:
        return str(getattr(obj, "last_debit_failure", "") or "")


class AutopayPage(PageOut):
    items: list[AutopayEnrolmentOut]


def _enrolments(property_id: int) -> Any:
    """Active enrolments with their next and latest debit: one query, whatever the history."""
    debits = AutopayDebit.objects.filter(enrolment=OuterRef("pk"))
    upcoming = debits.filter(status__in=AUTOPAY_DEBIT_HELD).order_by("debit_on", "pk")
    latest = debits.order_by("-debit_on", "-pk")
    return (
        AutopayEnrolment.objects.filter(property_id=property_id, status=AutopayStatus.ACTIVE)
        .select_related("unit", "user")
        .annotate(
            next_debit_on=Subquery(upcoming.values("debit_on")[:1]),
            next_debit_amount=Subquery(upcoming.values("amount")[:1]),
            last_debit_on=Subquery(latest.values("debit_on")[:1]),
            last_debit_state=Subquery(latest.values("status")[:1]),
            last_debit_failure=Subquery(latest.values("failure_code")[:1]),
        )
        .order_by("unit__number", "id")
    )


@router.get(
    "/properties/{int:property_id}/autopay",
    response={200: AutopayPage, **READ_ERRORS},
    summary="Automatic payment",
    description=(
        "The units whose automatic payment is on (pre-authorized debit or card), by unit number, each with "
        "its next debit and the state of its latest one. Residents turn it on from the portal; stopping it "
        "is done on the page."
    ),
    tags=["payments"],
)
def list_autopay(
    request: HttpRequest, page: Query[PageParams], property_id: int = PropertyId
) -> dict[str, Any]:
    access = property_for(request, property_id)
    return paging.page(request, _enrolments(access.property.pk), page, kind="autopay", order=AUTOPAY_ORDER)
