"""Hypothesis: any generated file either imports exactly what it says or is refused with row errors —
never half-way, never a 500 (through the page, as a manager uploads it)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import cast

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from logis.core.permissions import Role
from logis.imports.models import ImportBatch, OpeningBalance
from logis.properties.models import Occupancy, Property, Resident, Unit
from tests.factories import PropertyFactory, member
from tests.imports.helpers import FR_HEADER


def _mostly(good: list[str], bad: list[str]) -> st.SearchStrategy[str]:
    """Valid values most of the time, so that many files import and the "exactly" half is exercised."""
    return st.integers(0, 24).flatmap(lambda n: st.sampled_from(bad if n == 0 else good))


units = _mostly([str(n) for n in range(1, 60)] + ["PH-1", " 7 ", "Été 3", "101A", "101a"], ["", "x" * 25])
shares = _mostly(["", "", "10", "3,5 %", "4.1667"], ["150", "-1", "abc", "1,2,3", "33,33333"])
roles = _mostly(["", "Propriétaire", "locataire", "Owner"], ["maître"])
names = _mostly(
    ["", "Ana", "Zoë", "Jean-François", "O'Brien", "Lee", "Roy", "Côté", "Smith", "Nguyen"], ["x" * 130]
)
emails = _mostly(["", "ana@example.com", "zoe@exemple.ca", "ANA@example.com"], ["pas-un-courriel"])
primaries = _mostly(["", "oui", "non", "yes"], ["peut-être"])
balances = _mostly(["", "", "0", "1 234,56", "-50", "(20,00)"], ["12.345", "beaucoup", "99999999999"])
dates = _mostly(["2026-01-01", "31/01/2026"], ["", "2099-01-01", "2026-13-01", "hier"])
junk_free = st.just("")
junk = st.text(alphabet=st.characters(codec="cp1252", exclude_characters="\x00"), max_size=8)

# A balance and its date come together (or neither), most of the time.
balance_and_date = st.integers(0, 9).flatmap(
    lambda n: (
        st.tuples(balances, dates)
        if n == 0
        else st.sampled_from([("", ""), ("", ""), ("1 234,56", "2026-01-01"), ("-50", "31/01/2026")])
    )
)
row = st.builds(
    lambda u, s, r, f, n, e, p, bd, j: (u, s, r, f, n, e, p, bd[0], bd[1], j),
    units,
    shares,
    roles,
    names,
    names,
    emails,
    primaries,
    balance_and_date,
    junk,
)


@pytest.mark.slow
@given(
    rows=st.lists(row, min_size=0, max_size=5),
    sep=st.sampled_from([",", ";"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
)
@settings(max_examples=80, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
def test_any_file_imports_exactly_or_is_refused(
    db: None, rows: list[tuple[str, ...]], sep: str, encoding: str
) -> None:
    prop = cast(Property, PropertyFactory(payments_enabled=True))
    user = member(prop, Role.MANAGER)
    client = Client()
    client.force_login(user)
    header = [*FR_HEADER, "Divers"]
    lines = [sep.join(header)]
    for r in rows:
        cells = [c.replace(sep, " ").replace('"', "").replace("\n", " ").replace("\r", " ") for c in r]
        lines.append(sep.join(cells))
    data = "\r\n".join(lines).encode(encoding, errors="replace")
    start = reverse("properties:imports:start", args=[prop.pk])
    response = client.post(start, {"file": SimpleUploadedFile("f.csv", data)})
    assert response.status_code == 302
    preview = client.get(response["Location"])
    assert preview.status_code == 200
    batch = ImportBatch.objects.get(property=prop)
    applied = client.post(reverse("properties:imports:apply", args=[prop.pk, batch.pk]))
    assert applied.status_code == 302
    batch.refresh_from_db()
    has_errors = "import-errors" in preview.content.decode()
    event("refused" if has_errors else "imported")
    if has_errors:
        assert batch.status == "previewed"
        assert not Unit.objects.filter(property=prop).exists()
        assert not Resident.objects.filter(property=prop).exists()
        assert not OpeningBalance.objects.filter(property=prop).exists()
        return
    assert batch.status == "applied"
    # Exactly what the file says: each unit once (whatever the case), each named resident linked.
    expected_units = {r[0].strip().casefold() for r in rows if r[0].strip()}
    assert {u.number.casefold() for u in Unit.objects.filter(property=prop)} == expected_units
    named = {(r[0].strip().casefold(), f"{r[3]} {r[4]}".strip()) for r in rows if r[3] or r[4] or r[5]}
    links = {
        (o.unit.number.casefold(), o.resident.name) for o in Occupancy.objects.filter(unit__property=prop)
    }
    assert links == named
    for unit in Unit.objects.filter(property=prop):
        assert Occupancy.objects.filter(unit=unit, is_primary=True).count() <= 1
    for ob in OpeningBalance.objects.filter(property=prop):
        assert ob.amount != 0
        assert ob.balance_date <= dt.date.today() + dt.timedelta(days=1)
        assert (ob.invoice is not None) == (ob.amount > Decimal(0))
