"""The endpoints of API v1: thin, as the pages are. Each loads its property as ``property_view`` does
(404 without a role, 403 when the role may not), reads through the selectors and changes through the
services; the services check the role again and every rule of the product.

This module holds the properties and their units; invoices.py, payments.py and imports.py the others
(the shared parts are in common.py)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from logis.api import paging
from logis.api.auth import actor, property_for
from logis.api.common import READ_ERRORS, PropertyId
from logis.api.schemas import (
    FieldErrorsOut,
    MessageOut,
    PageParams,
    PropertyCreateIn,
    PropertyOut,
    PropertyPage,
    UnitPage,
)
from logis.payments import selectors as payment_selectors
from logis.properties import selectors as property_selectors
from logis.properties import setup as property_setup

router = Router()


# --- Properties and units ---------------------------------------------------------------------------


@router.get(
    "/properties",
    response={200: PropertyPage, 401: MessageOut, 422: FieldErrorsOut, 429: MessageOut},
    summary="Your properties",
    description="The properties on which you hold a role, by name, with your role.",
    tags=["properties"],
)
def list_properties(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    return paging.page(request, property_selectors.properties_of(actor(request)), page, kind="properties")


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
    return paging.page(request, units, page, kind="units")
