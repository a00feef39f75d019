"""POST /api/v1/properties: an organization administrator's token creates a property (the wizard's rules)."""

from __future__ import annotations

import pytest

from logis.accounts.models import Membership, Organization, User
from logis.core.permissions import Role
from logis.properties.models import Property
from tests.api.conftest import ApiClient, token_for
from tests.factories import PropertyFactory, member

pytestmark = pytest.mark.django_db

BODY = {
    "name": "Tour Horizon",
    "legal_name": "SDC Tour Horizon",
    "neq": "1234 567 890",
    "first_invoice_number": 500,
}


def test_an_organization_administrator_creates_a_property(founder: User, organization: Organization) -> None:
    response = ApiClient(token_for(founder)).post("/properties", BODY)
    assert response.status_code == 201, response.content
    data = response.json()
    assert (
        data["name"] == "Tour Horizon" and data["role"] == "admin" and data["timezone"] == "America/Toronto"
    )
    prop = Property.objects.get(pk=data["id"])
    assert (prop.organization, prop.neq, prop.next_invoice_number) == (organization, "1234567890", 500)
    assert Membership.objects.get(property=prop, user=founder).role == Role.ADMIN
    assert data["province"] == prop.province == "QC"  # not sent: Quebec


def test_a_property_outside_quebec_through_the_api(founder: User, organization: Organization) -> None:
    api = ApiClient(token_for(founder))
    response = api.post("/properties", {**BODY, "name": "Tour Ottawa", "province": "ON"})
    assert response.status_code == 201, response.content
    assert response.json()["province"] == "ON"
    assert api.post("/properties", {**BODY, "name": "Tour X", "province": "XX"}).status_code == 422


def test_refusals(founder: User, organization: Organization) -> None:
    api = ApiClient(token_for(founder), "en")
    response = api.post("/properties", {**BODY, "neq": "12"})
    assert response.status_code == 422 and "neq" in response.json()["errors"]
    assert api.post("/properties", {**BODY, "colour": "blue"}).status_code == 422
    assert api.post("/properties", {**BODY, "organization": organization.pk + 1000}).status_code == 404
    manager = member(PropertyFactory(), Role.MANAGER)  # staff, but administers no organization
    assert ApiClient(token_for(manager)).post("/properties", BODY).status_code == 403
    assert ApiClient().post("/properties", BODY).status_code == 401
    assert Property.objects.count() == 1
