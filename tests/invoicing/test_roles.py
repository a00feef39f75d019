"""Who may do what on invoices, as the role table of PRODUCT.md says (rows for tests/roles.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from logis.core.dates import today_in
from logis.invoicing.models import Invoice
from tests.factories import InvoiceFactory
from tests.roles import ROLES, Case, World, check_case, members_may, nobody, readable

pytestmark = pytest.mark.django_db

INVOICING = {"admin", "manager", "treasurer"}


def draft_of(w: World) -> Invoice:
    """A draft of the world's property, due in a week (made once per test)."""
    if "draft" not in w.extra:
        due = today_in(w.prop.timezone) + dt.timedelta(days=7)
        w.extra["draft"] = InvoiceFactory(property=w.prop, unit=w.unit, due_date=due)
    invoice: Invoice = w.extra["draft"]
    return invoice


def foreign_draft(w: World) -> Invoice:
    if "foreign" not in w.extra:
        w.extra["foreign"] = InvoiceFactory(property=w.other_prop, unit=w.other_unit)
    invoice: Invoice = w.extra["foreign"]
    return invoice


def invoice_data(w: World) -> dict[str, Any]:
    due = today_in(w.prop.timezone) + dt.timedelta(days=7)
    return {
        "unit": str(w.unit.pk),
        "title": "Cotisation",
        "amount": "100",
        "due_date": due.isoformat(),
        "token": str(uuid.uuid4()),
    }


def url(name: str, per_invoice: bool = False) -> Any:
    return lambda w: reverse(name, args=[w.prop.pk, draft_of(w).pk] if per_invoice else [w.prop.pk])


CASES = [
    Case("invoice list", "get", url("invoicing:list"), readable()),
    Case("invoice detail", "get", url("invoicing:detail", True), readable()),
    Case("create dialog", "get", url("invoicing:create"), members_may(INVOICING, ok=200)),
    Case("create invoice", "post", url("invoicing:create"), members_may(INVOICING), data=invoice_data),
    Case("unit warning", "get", url("invoicing:unit_warning"), members_may(INVOICING, ok=200)),
    Case("edit form", "get", url("invoicing:edit", True), members_may(INVOICING, ok=200)),
    Case("edit draft", "post", url("invoicing:edit", True), members_may(INVOICING), data=invoice_data),
    Case("publish confirmation", "get", url("invoicing:publish", True), members_may(INVOICING, ok=200)),
    Case("publish", "post", url("invoicing:publish", True), members_may(INVOICING)),
    Case("void dialog", "get", url("invoicing:void", True), members_may(INVOICING, ok=200)),
    Case(
        "void",
        "post",
        url("invoicing:void", True),
        members_may(INVOICING),
        data=lambda w: {"reason": "Erreur"},
    ),
    Case(
        "publish selected",
        "post",
        url("invoicing:bulk_publish"),
        members_may(INVOICING),
        data=lambda w: {"invoice": [draft_of(w).pk]},
    ),
    # An invoice of another property, reached through this property's address: nobody sees it.
    Case(
        "detail of another property's invoice",
        "get",
        lambda w: reverse("invoicing:detail", args=[w.prop.pk, foreign_draft(w).pk]),
        {**nobody(), "none": 404},
    ),
    Case(
        "publish another property's invoice",
        "post",
        lambda w: reverse("invoicing:publish", args=[w.prop.pk, foreign_draft(w).pk]),
        {**members_may(INVOICING, ok=404), "board": 403},
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_invoice_role_table(case: Case, role: str, world: World) -> None:
    check_case(case, role, world, Client())
