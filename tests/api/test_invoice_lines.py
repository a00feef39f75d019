"""The API shows an invoice's lines and creates invoices of several lines (issue 11)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.finances.models import CategoryCode
from logis.finances.selectors import category_by_code, ensure_finance_defaults
from tests.roles import World


def _due(prop: Any) -> dt.date:
    return today_in(prop.timezone) + dt.timedelta(days=10)


def test_the_api_creates_an_invoice_with_lines_and_shows_them(world: World, api_for: Any) -> None:
    api = api_for(Role.MANAGER)
    ensure_finance_defaults(world.prop)
    fob = category_by_code(world.prop, CategoryCode.KEY_FOB)
    body = {
        "unit": world.unit.pk,
        "title": "Décembre",
        "due_date": _due(world.prop).isoformat(),
        "lines": [
            {"description": "Cotisation", "amount": "250.00"},
            {"description": "Puce", "category": fob.pk, "amount": "35.00"},
        ],
    }
    created = api.post(f"/properties/{world.prop.pk}/invoices", body)
    assert created.status_code == 201, created.content
    assert created.json()["amount"] == "285.00"
    detail = api.get(f"/properties/{world.prop.pk}/invoices/{created.json()['id']}").json()
    assert [(x["description"], x["category"]["code"], x["total"]) for x in detail["lines"]] == [
        ("Cotisation", "condo_fees", "250.00"),
        ("Puce", "key_fob", "35.00"),
    ]
    wrong = api.post(f"/properties/{world.prop.pk}/invoices", {**body, "amount": "1.00"})
    assert wrong.status_code in (400, 422)
