"""Nasty files: every encoding and separator, BOM, accents, empty lines, duplicated units, unknown columns,
amounts and shares written the French way (« 1 234,56 », « 3,5 % »), a formula in XLSX, 10 MB."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from logis.accounts.models import User
from logis.imports.parsing import MAX_BYTES
from logis.imports.services import apply_import, plan_import, preview_import
from logis.invoicing.models import Invoice
from logis.properties.models import Occupancy, Property, Resident, Unit
from tests.imports.helpers import EN_HEADER, FR_HEADER, csv_bytes, xlsx_bytes

D = Decimal
ROWS = [
    ["101", "4,5", "Propriétaire", "Hélène", "Côté", "helene@example.com", "oui", "1 234,56", "2026-01-01"],
    ["101", "", "Copropriétaire", "François", "Bélanger", "", "non", "", ""],
    ["102", "95,5", "Locataire", "Zoë", "Ãlvarez", "zoe@example.com", "", "-12,50", "31/01/2026"],
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("sep", [",", ";"])
def test_each_encoding_and_separator_imports_the_same(
    manager: User, prop: Property, encoding: str, sep: str
) -> None:
    rows = ROWS if sep == ";" else [[c.replace(",", ".").replace(" ", "") if i in (1, 7) else c
                                      for i, c in enumerate(r)] for r in ROWS]  # fmt: skip
    data = csv_bytes(
        rows, sep=sep, encoding="utf-8" if encoding == "utf-8-sig" else encoding, bom=encoding == "utf-8-sig"
    )
    batch, plan = preview_import(actor=manager, property=prop, name="f.csv", data=data)
    assert plan.errors == []
    apply_import(actor=manager, property=prop, batch_id=batch.pk)
    assert {u.number: u.share for u in Unit.objects.filter(property=prop)} == {
        "101": D("4.5"),
        "102": D("95.5"),
    }
    names = set(Resident.objects.filter(property=prop).values_list("name", flat=True))
    assert names == {"Hélène Côté", "François Bélanger", "Zoë Ãlvarez"}
    assert Invoice.objects.get(property=prop).amount == D("1234.56")
    assert plan.shares_balanced


def test_headers_in_english_any_case_and_accents(prop: Property) -> None:
    header = ["UNITE", "quote part", "ROLE", "prenom", "NOM", "E-mail", "primary", "Solde", "date du solde"]
    plan = plan_import(property=prop, name="f.csv", data=csv_bytes(ROWS, header=header))
    assert plan.errors == []
    assert plan.counts["units_created"] == 2


def test_empty_lines_are_skipped_and_line_numbers_kept(prop: Property) -> None:
    text = ";".join(FR_HEADER) + "\r\n\r\n" + ";".join(ROWS[0]) + "\r\n;;;;;;;;\r\n" + "103;abc" + "\r\n"
    plan = plan_import(property=prop, name="f.csv", data=text.encode())
    assert [(e.line, e.column) for e in plan.errors] == [(5, "Quote-part (%)")]


def test_duplicated_unit_numbers(prop: Property) -> None:
    rows = [
        ["101", "10", "", "A", "B", "", "", "", ""],
        ["101A", "", "", "C", "D", "", "", "", ""],
        ["101a", "20", "", "E", "F", "", "", "", ""],
        ["101", "11", "", "G", "H", "", "", "", ""],
        ["101", "", "", "A", "B", "", "", "", ""],
    ]
    plan = plan_import(property=prop, name="f.csv", data=csv_bytes(rows))
    messages = {(e.line, e.column): e.message for e in plan.errors}
    assert set(messages) == {(5, "Quote-part (%)"), (6, "Nom")}
    assert "line 2" in messages[(5, "Quote-part (%)")]
    assert "line 2" in messages[(6, "Nom")]
    assert plan.counts["units_created"] == 2  # 101 and 101A (101a is the same door)


def test_unknown_columns_are_reported_and_ignored(prop: Property) -> None:
    header = [*FR_HEADER, "Stationnement", "Notes"]
    rows = [[*r, "P-1", "rien"] for r in ROWS]
    plan = plan_import(property=prop, name="f.csv", data=csv_bytes(rows, header=header))
    assert plan.errors == []
    assert plan.unknown_columns == ["Stationnement", "Notes"]


@pytest.mark.parametrize("space", [" ", "\u00a0", "\u202f"])
def test_amounts_with_any_thousands_space_and_share_with_percent(
    manager: User, prop: Property, space: str
) -> None:
    rows = [["101", "3,5 %", "", "A", "B", "", "", f"1{space}234,56", "2026-01-01"]]
    batch, plan = preview_import(actor=manager, property=prop, name="f.csv", data=csv_bytes(rows))
    assert plan.errors == []
    assert plan.shares_total == D("3.5")
    assert not plan.shares_balanced  # shown, not fixed
    apply_import(actor=manager, property=prop, batch_id=batch.pk)
    assert Unit.objects.get(property=prop).share == D("3.5")
    assert Invoice.objects.get(property=prop).amount == D("1234.56")


def test_xlsx_values_dates_and_numbers(manager: User, prop: Property) -> None:
    rows = [["101", 4.1667, "Owner", "Ana", "Roy", "ana@example.com", "yes", 250.5, dt.datetime(2026, 1, 1)]]
    batch, plan = preview_import(actor=manager, property=prop, name="f.xlsx", data=xlsx_bytes(rows))
    assert plan.errors == []
    apply_import(actor=manager, property=prop, batch_id=batch.pk)
    assert Unit.objects.get(property=prop).share == D("4.1667")
    invoice = Invoice.objects.get(property=prop)
    assert (invoice.amount, invoice.due_date) == (D("250.50"), dt.date(2026, 1, 1))


def test_xlsx_formula_cell_is_refused_never_evaluated(prop: Property) -> None:
    rows = [["101", "=1+1", "Owner", "Ana", "Roy", "", "", "", ""]]
    plan = plan_import(property=prop, name="f.xlsx", data=xlsx_bytes(rows))
    assert [(e.line, e.column) for e in plan.errors] == [(2, "Share (%)")]
    assert "formula" in plan.errors[0].message


def test_a_file_over_10_mb_is_refused_with_a_clear_message(prop: Property) -> None:
    row = ";".join(["101", "", "", "A", "B", "", "", "", ""]) + "\r\n"
    data = csv_bytes([]) + row.encode() * (MAX_BYTES // len(row) + 1)
    assert len(data) > MAX_BYTES
    plan = plan_import(property=prop, name="f.csv", data=data)
    assert [e.message for e in plan.errors] == ["The file is larger than 10 MB: split it."]


def test_a_file_of_almost_10_mb_is_read_and_row_limit_applies(prop: Property) -> None:
    row = ";".join(["101", "", "", "A", "B", "", "", "", ""]) + "\r\n"
    data = csv_bytes([]) + row.encode() * ((MAX_BYTES - 500) // len(row))
    plan = plan_import(property=prop, name="f.csv", data=data)
    assert len(plan.errors) == 1
    assert "more than 20000 rows" in plan.errors[0].message


def test_not_a_csv_nor_xlsx(prop: Property) -> None:
    for data in (b"\x00\x01\x02binary", b"PK\x03\x04garbage", b"", b"\xef\xbb\xbf\r\n", b"a;b\r\n1;2"):
        plan = plan_import(property=prop, name="f.csv", data=data)
        assert len(plan.errors) == 1 and plan.errors[0].line == 0


def test_english_template_header_and_primary_default(manager: User, prop: Property) -> None:
    rows = [
        ["7", "", "Tenant", "Sam", "Lee", "", "", "", ""],
        ["7", "", "Owner", "Kim", "Lee", "", "", "", ""],
    ]
    batch, plan = preview_import(
        actor=manager, property=prop, name="f.csv", data=csv_bytes(rows, header=EN_HEADER, sep=",")
    )
    assert plan.errors == []
    assert len(plan.notices) == 1
    apply_import(actor=manager, property=prop, batch_id=batch.pk)
    assert Occupancy.objects.get(is_primary=True, unit__property=prop).resident.name == "Sam Lee"


def test_xlsx_percent_formatted_share(prop: Property) -> None:
    import io

    from openpyxl import Workbook  # type: ignore[import-untyped]

    book = Workbook()
    sheet = book.active
    sheet.append(EN_HEADER)
    sheet.append(["101", 0.035, "Owner", "Ana", "Roy", "", "", "", ""])
    sheet["B2"].number_format = "0.0%"
    out = io.BytesIO()
    book.save(out)
    plan = plan_import(property=prop, name="f.xlsx", data=out.getvalue())
    assert plan.errors == []
    assert plan.shares_total == D("3.5")
