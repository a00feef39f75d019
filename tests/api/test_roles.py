"""Each role's rights on each endpoint of the API (PRODUCT.md's role table), table-driven as
tests/test_roles.py: a token acts as its user, with the same roles per property.

Admin, manager and treasurer may create, edit, publish and void invoices and record and reverse payments;
a board member reads everything and changes nothing (403). Someone with no role on the property (and a
resident, who has the portal only) gets 404 for the property and for every object of it; without a
token, 401. Objects of another property answer 404 to everyone, whatever their role here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.invoicing.models import Invoice
from logis.payments.models import Payment
from logis.payments.services import record_payment
from tests.factories import InvoiceFactory, open_invoice
from tests.roles import MEMBER_ROLES, ROLES, World

pytestmark = pytest.mark.django_db

WRITERS = {Role.ADMIN, Role.MANAGER, Role.TREASURER}


def readable(ok: int = 200) -> dict[str, int]:
    return {**dict.fromkeys(MEMBER_ROLES, ok), "none": 404, "resident": 404, "anonymous": 401}


def writers_may(ok: int) -> dict[str, int]:
    expected = {role: (ok if role in WRITERS else 403) for role in MEMBER_ROLES}
    return {**expected, "none": 404, "resident": 404, "anonymous": 401}


def nobody() -> dict[str, int]:
    return {**dict.fromkeys(ROLES, 404), "anonymous": 401}


def _draft(w: World) -> Invoice:
    if "draft" not in w.extra:
        due = today_in(w.prop.timezone) + dt.timedelta(days=10)
        w.extra["draft"] = InvoiceFactory(property=w.prop, unit=w.unit, due_date=due)
    return w.extra["draft"]


def _open(w: World) -> Invoice:
    if "open" not in w.extra:
        w.extra["open"] = open_invoice(w.prop, number=1, unit=w.unit, amount=Decimal("200.00"))
        w.prop.next_invoice_number = 2
        w.prop.save(update_fields=["next_invoice_number"])
    return w.extra["open"]


def _payment(w: World) -> Payment:
    if "payment" not in w.extra:
        w.extra["payment"] = record_payment(
            property=w.prop,
            invoice_id=_open(w).pk,
            actor=w.users[Role.ADMIN],
            amount=Decimal("50.00"),
            paid_on=today_in(w.prop.timezone),
            method="cheque",
        )
    return w.extra["payment"]


def _other_invoice(w: World) -> Invoice:
    if "other_invoice" not in w.extra:
        w.extra["other_invoice"] = open_invoice(w.other_prop, number=1, unit=w.other_unit)
    return w.extra["other_invoice"]


def _other_payment(w: World) -> Payment:
    if "other_payment" not in w.extra:
        w.extra["other_payment"] = Payment.objects.create(
            property=w.other_prop,
            unit=w.other_unit,
            invoice=_other_invoice(w),
            amount=Decimal("10.00"),
            paid_on=today_in(w.other_prop.timezone),
            method="cash",
        )
    return w.extra["other_payment"]


def _new_invoice(w: World) -> dict[str, Any]:
    due = today_in(w.prop.timezone) + dt.timedelta(days=15)
    return {"unit": w.unit.pk, "title": "Cotisation", "amount": "150.00", "due_date": due.isoformat()}


@dataclass(frozen=True)
class ApiCase:
    name: str
    method: str
    path: Callable[[World], str]
    expect: dict[str, int]
    body: Callable[[World], Any] | None = None

    def __str__(self) -> str:
        return self.name


P = "/properties"
CASES = [
    ApiCase("units", "get", lambda w: f"{P}/{w.prop.pk}/units", readable()),
    ApiCase("invoices", "get", lambda w: f"{P}/{w.prop.pk}/invoices", readable()),
    ApiCase("summary", "get", lambda w: f"{P}/{w.prop.pk}/invoices/summary", readable()),
    ApiCase("invoice", "get", lambda w: f"{P}/{w.prop.pk}/invoices/{_open(w).pk}", readable()),
    ApiCase("payments", "get", lambda w: f"{P}/{w.prop.pk}/payments", readable()),
    ApiCase("create invoice", "post", lambda w: f"{P}/{w.prop.pk}/invoices", writers_may(201), _new_invoice),
    ApiCase(
        "edit draft",
        "patch",
        lambda w: f"{P}/{w.prop.pk}/invoices/{_draft(w).pk}",
        writers_may(200),
        lambda w: {"title": "Nouveau titre"},
    ),
    ApiCase(
        "publish", "post", lambda w: f"{P}/{w.prop.pk}/invoices/{_draft(w).pk}/publish", writers_may(200)
    ),
    ApiCase(
        "void",
        "post",
        lambda w: f"{P}/{w.prop.pk}/invoices/{_draft(w).pk}/void",
        writers_may(200),
        lambda w: {"reason": "Erreur"},
    ),
    ApiCase(
        "record payment",
        "post",
        lambda w: f"{P}/{w.prop.pk}/invoices/{_open(w).pk}/payments",
        writers_may(201),
        lambda w: {"amount": "20.00", "paid_on": today_in(w.prop.timezone).isoformat(), "method": "cheque"},
    ),
    ApiCase(
        "reverse payment",
        "post",
        lambda w: f"{P}/{w.prop.pk}/payments/{_payment(w).pk}/reverse",
        writers_may(201),
        lambda w: {"reason": "Chèque sans provision"},
    ),
    # Another property, or its objects through this property's address: 404 for everyone.
    ApiCase("other property's units", "get", lambda w: f"{P}/{w.other_prop.pk}/units", nobody()),
    ApiCase("other property's invoices", "get", lambda w: f"{P}/{w.other_prop.pk}/invoices", nobody()),
    ApiCase(
        "other property's invoice here",
        "get",
        lambda w: f"{P}/{w.prop.pk}/invoices/{_other_invoice(w).pk}",
        {**readable(404), "anonymous": 401},
    ),
    ApiCase(
        "publish other property's invoice here",
        "post",
        lambda w: f"{P}/{w.prop.pk}/invoices/{_other_invoice(w).pk}/publish",
        {**writers_may(404)},
    ),
    ApiCase(
        "pay other property's invoice here",
        "post",
        lambda w: f"{P}/{w.prop.pk}/invoices/{_other_invoice(w).pk}/payments",
        writers_may(404),
        lambda w: {"amount": "5.00", "paid_on": today_in(w.prop.timezone).isoformat(), "method": "cash"},
    ),
    ApiCase(
        "reverse other property's payment here",
        "post",
        lambda w: f"{P}/{w.prop.pk}/payments/{_other_payment(w).pk}/reverse",
        writers_may(404),
        lambda w: {"reason": "x"},
    ),
    ApiCase(
        "create on other property",
        "post",
        lambda w: f"{P}/{w.other_prop.pk}/invoices",
        nobody(),
        lambda w: {**_new_invoice(w), "unit": w.other_unit.pk},
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_api_role_table(case: ApiCase, role: str, world: World, api_for: Any) -> None:
    client = api_for(role)
    path = case.path(world)
    if case.method == "get":
        response = client.get(path)
    else:
        response = client.send(case.method, path, case.body(world) if case.body else {})
    expected = case.expect[role]
    assert response.status_code == expected, (
        f"{case.name} as {role}: {case.method.upper()} {path} answered {response.status_code} "
        f"{response.content[:300]!r}, expected {expected}"
    )
    body = response.json()
    if expected in (401, 403, 404):
        assert body["message"]


@pytest.mark.parametrize("role", MEMBER_ROLES)
def test_properties_lists_each_property_with_the_users_role(role: str, world: World, api_for: Any) -> None:
    body = api_for(role).get("/properties").json()
    assert [(p["id"], p["role"]) for p in body["items"]] == [(world.prop.pk, role)]
    assert body["count"] == 1


@pytest.mark.parametrize("role", ["none", "resident"])
def test_properties_is_empty_for_someone_without_a_role(role: str, world: World, api_for: Any) -> None:
    body = api_for(role).get("/properties").json()
    assert body == {
        "count": 0, "limit": 50, "offset": 0, "next_cursor": None, "previous_cursor": None, "items": [],
    }  # fmt: skip


def test_a_role_that_may_not_is_refused_before_anything_changes(world: World, api_for: Any) -> None:
    draft = _draft(world)
    response = api_for(Role.BOARD).post(f"/properties/{world.prop.pk}/invoices/{draft.pk}/publish")
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.number is None
