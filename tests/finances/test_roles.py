"""Who may read and change Paramètres > Fonds et catégories: every role reads it; administrators and
treasurers change it; no role → 404; anonymous → login; another property's fund → 404."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from logis.core.permissions import Role
from logis.finances.models import Fund, FundKind
from logis.finances.selectors import ensure_finance_defaults
from tests.roles import ROLES, Case, World, check_case, members_may, nobody, readable

CHANGERS = {Role.ADMIN, Role.TREASURER}


def _fund(w: World) -> int:
    ensure_finance_defaults(w.prop)
    return Fund.objects.get(property=w.prop, kind=FundKind.OPERATING).pk


def _other_fund(w: World) -> int:
    ensure_finance_defaults(w.other_prop)
    return Fund.objects.get(property=w.other_prop, kind=FundKind.OPERATING).pk


CASES = [
    Case("funds page", "get", lambda w: reverse("finances:settings", args=[w.prop.pk]), readable()),
    Case(
        "add a fund",
        "post",
        lambda w: reverse("finances:fund_add", args=[w.prop.pk]),
        members_may(CHANGERS),
        data=lambda w: {"fund-name": "Fonds du hall"},
    ),
    Case(
        "edit a fund",
        "get",
        lambda w: reverse("finances:fund_edit", args=[w.prop.pk, _fund(w)]),
        members_may(CHANGERS, ok=200),
    ),
    Case(
        "tax numbers",
        "post",
        lambda w: reverse("finances:taxes", args=[w.prop.pk]),
        members_may(CHANGERS),
        data=lambda w: {"gst_number": "123456789RT0001", "qst_number": ""},
    ),
    Case(
        "another property's fund",
        "get",
        lambda w: reverse("finances:fund_edit", args=[w.prop.pk, _other_fund(w)]),
        {**nobody(404), Role.MANAGER: 403, Role.BOARD: 403},
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_role_table(case: Case, role: str, world: World, client: Client) -> None:
    check_case(case, role, world, client)
