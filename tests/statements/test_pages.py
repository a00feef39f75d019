"""The statement pages: every member role reads a unit's statement from the unit page; residents read
each of their units' statements from the portal (another unit, or another property's, answers 404);
the period form keeps what was typed and says what is wrong beside the field; a CSV of the same lines;
both languages; a constant number of queries."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from logis.accounts.models import User
from logis.core.dates import latest_date
from logis.core.permissions import Role
from logis.properties.models import Property, Resident, Unit
from tests.factories import InvoiceFactory, PropertyFactory, UnitFactory, UserFactory, member
from tests.portal.conftest import link
from tests.roles import LOGIN_REDIRECT, MEMBER_ROLES, ROLES, Case, World, check_case, nobody, readable
from tests.statements.conftest import Ledger, at

D = Decimal
NBSP = "\u00a0"


def page_url(prop: Property, unit: Unit, query: str = "") -> str:
    url = reverse("statements:unit", args=[prop.pk, unit.pk])
    return f"{url}?{query}" if query else url


def csv_url(prop: Property, unit: Unit, query: str = "") -> str:
    url = reverse("statements:unit_csv", args=[prop.pk, unit.pk])
    return f"{url}?{query}" if query else url


def portal_url(unit: Unit, query: str = "") -> str:
    url = reverse("statements:portal", args=[unit.pk])
    return f"{url}?{query}" if query else url


def html(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def text(response) -> str:  # type: ignore[no-untyped-def]
    """The page as a person reads it: tags dropped, spaces squeezed."""
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", html(response)))


# --- Who may see it ---------------------------------------------------------------------------------


def _resident_only(ok: int = 200) -> dict[str, int]:
    """The portal: the unit's resident only; members of the property are not its residents."""
    return {**dict.fromkeys(MEMBER_ROLES, 404), "none": 404, "resident": ok, "anonymous": LOGIN_REDIRECT}


CASES = [
    Case("statement page", "get", lambda w: page_url(w.prop, w.unit), readable()),
    Case("statement CSV", "get", lambda w: csv_url(w.prop, w.unit), readable()),
    Case(
        "another property's unit under this property",
        "get",
        lambda w: page_url(w.prop, w.other_unit),
        nobody(),
    ),
    Case("another property's unit, its CSV", "get", lambda w: csv_url(w.prop, w.other_unit), nobody()),
    Case("another property", "get", lambda w: page_url(w.other_prop, w.other_unit), nobody()),
    Case("portal statement of the resident's unit", "get", lambda w: portal_url(w.unit), _resident_only()),
    Case(
        "portal CSV of the resident's unit",
        "get",
        lambda w: reverse("statements:portal_csv", args=[w.unit.pk]),
        _resident_only(),
    ),
    Case("portal statement of another unit", "get", lambda w: portal_url(w.other_unit), nobody()),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_statement_role_table(case: Case, role: str, world: World) -> None:
    check_case(case, role, world)


def test_a_resident_guessing_another_units_id_gets_404(world: World, client: Client, prop: Property) -> None:
    neighbour = UnitFactory(property=world.prop, number="102")
    client.force_login(world.users["resident"])  # type: ignore[arg-type]
    assert client.get(portal_url(neighbour)).status_code == 404
    assert client.get(reverse("statements:portal_csv", args=[neighbour.pk])).status_code == 404
    assert client.get(portal_url(Unit(pk=999_999))).status_code == 404


# --- The manager's page -----------------------------------------------------------------------------


@pytest.fixture
def history(ledger: Ledger) -> Ledger:
    """An invoice paid in part then voided (its payment stays as credit), and one still open."""
    voided = ledger.invoice("300.00", when=at(dt.date(2025, 1, 10)), title="Cotisation de janvier")
    ledger.pay(voided, "100.00", on=dt.date(2025, 1, 15), reference="1234")
    ledger.void(voided, when=at(dt.date(2025, 2, 2)))
    ledger.invoice("40.00", when=at(dt.date(2025, 3, 1)), title="Frais de stationnement")
    return ledger


def test_the_unit_page_links_to_its_statement(manager_client: Client, prop: Property, unit: Unit) -> None:
    page = html(manager_client.get(reverse("properties:unit_detail", args=[prop.pk, unit.pk])))
    assert f'href="{page_url(prop, unit)}"' in page
    assert ">Relevé de compte</a>" in page


def test_the_statement_page_in_french(manager_client: Client, history: Ledger, prop: Property) -> None:
    ledger = history
    response = manager_client.get(page_url(prop, ledger.unit, "start=2025-02-01&end=2025-03-31"))
    page, words = html(response), text(response)
    assert "print-document" in page  # the print layout
    assert "Relevé de compte" in words and "Les Jardins du Parc" in words
    assert "Unité 101" in words and "Résident principal Marie Tremblay" in words
    assert "Du 1er février 2025 au 31 mars 2025" in words
    assert f"Solde d'ouverture au 1er février 2025 200,00{NBSP}$" in words
    assert f"Solde de clôture au 31 mars 2025 -60,00{NBSP}$" in words
    assert f"Crédit au compte : 60,00{NBSP}$" in words
    assert f"le montant de 100,00{NBSP}$ reçu reste au crédit du compte" in words
    invoices = list(ledger.unit.invoices.order_by("number"))
    assert f'href="{reverse("invoicing:detail", args=[prop.pk, invoices[0].pk])}"' in page
    assert f'href="{reverse("invoicing:detail", args=[prop.pk, invoices[1].pk])}"' in page
    assert f'href="{csv_url(prop, ledger.unit, "start=2025-02-01&amp;end=2025-03-31")}"' in page
    # The period reaches no further than 31 March: nothing about today.
    assert 'id="account-position"' not in page


def test_the_statement_page_in_english(client: Client, history: Ledger, prop: Property) -> None:
    client.force_login(member(prop, Role.BOARD, language="en"))
    words = text(client.get(page_url(prop, history.unit, "start=2025-02-01&end=2025-03-31")))
    assert "Account statement" in words and "Primary resident Marie Tremblay" in words
    assert "From Feb. 1, 2025 to March 31, 2025" in words
    assert "Opening balance on Feb. 1, 2025 $200.00" in words
    assert "Closing balance on March 31, 2025 -$60.00" in words
    assert "Account credit: $60.00" in words
    assert "Voided: Invoice no. 1 — Cotisation de janvier" in words


def test_by_default_the_page_shows_the_twelve_months_up_to_today(
    manager_client: Client, ledger: Ledger, prop: Property
) -> None:
    invoice = ledger.invoice("25.00")
    page = html(manager_client.get(page_url(prop, ledger.unit)))
    today = ledger.today
    start = (
        today.replace(year=today.year - 1) + dt.timedelta(days=1)
        if (today.month, today.day) != (2, 29)
        else None
    )
    if start is not None:
        assert f'name="start" value="{start.isoformat()}"' in page
    assert f'name="end" value="{today.isoformat()}"' in page
    assert f'href="{reverse("invoicing:detail", args=[prop.pk, invoice.pk])}"' in page
    # The period reaches today: how the closing balance splits between open invoices and credit.
    assert 'id="account-position"' in page and f"demandent 25,00{NBSP}$" in page


def test_an_end_before_the_start_is_refused_beside_the_field_and_both_dates_stay(
    manager_client: Client, ledger: Ledger, prop: Property
) -> None:
    page = html(manager_client.get(page_url(prop, ledger.unit, "start=2025-03-01&end=2025-02-01")))
    assert 'name="start" value="2025-03-01"' in page and 'name="end" value="2025-02-01"' in page
    assert 'id="id_end-error">La date de fin ne peut pas précéder la date de début.</div>' in page
    assert 'aria-describedby="id_end-error"' in page
    assert "Corrigez les dates pour voir le relevé." in page and 'id="statement-lines"' not in page


def test_a_date_that_is_not_one_is_refused_and_kept_as_typed(
    manager_client: Client, ledger: Ledger, prop: Property
) -> None:
    page = html(manager_client.get(page_url(prop, ledger.unit, "start=2025-13-45&end=1800-01-01")))
    assert 'value="2025-13-45"' in page and 'value="1800-01-01"' in page
    assert 'id="id_start-error">Saisissez une date valide.</div>' in page
    latest = latest_date().isoformat()
    assert f'id="id_end-error">Saisissez une date entre le 2000-01-01 et le {latest}.</div>' in page


def test_an_empty_period_says_so_and_still_shows_both_balances(
    manager_client: Client, history: Ledger, prop: Property
) -> None:
    words = text(manager_client.get(page_url(prop, history.unit, "start=2024-01-01&end=2024-12-31")))
    assert "Aucune activité pendant cette période." in words
    assert f"Solde d'ouverture {NBSP}" not in words
    assert f"Solde d'ouverture au 1er janvier 2024 0,00{NBSP}$" in words
    assert f"Solde de clôture au 31 décembre 2024 0,00{NBSP}$" in words
    assert "Rien à payer, aucun crédit." in words


def test_the_page_costs_the_same_queries_whatever_the_number_of_lines(
    manager_client: Client, ledger: Ledger, prop: Property
) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert manager_client.get(page_url(prop, ledger.unit)).status_code == 200
        return len(ctx.captured_queries)

    invoice = ledger.invoice("10.00")
    ledger.pay(invoice, "5.00")
    few = count()
    for n in range(25):
        invoice = ledger.invoice("10.00", title=f"Frais {n}")
        ledger.reverse(ledger.pay(invoice, "5.00"))
        ledger.pay(invoice, "10.00")
    assert count() == few


# --- The CSV ----------------------------------------------------------------------------------------


def _rows(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_csv_has_the_same_lines_with_plain_amounts(
    manager_client: Client, history: Ledger, prop: Property
) -> None:
    query = "start=2025-01-01&end=2025-03-31"
    response = manager_client.get(csv_url(prop, history.unit, query))
    assert response["Content-Disposition"] == 'attachment; filename="releve-101-2025-01-01-2025-03-31.csv"'
    rows = _rows(response)
    assert rows[0] == ["Date", "Description", "Numéro de facture", "Débit", "Crédit", "Solde"]
    assert rows[1] == ["2025-01-01", "Solde d'ouverture", "", "", "", "0.00"]
    assert rows[2] == ["2025-01-10", "Facture nº 1 — Cotisation de janvier", "1", "300.00", "", "300.00"]
    assert rows[3] == [
        "2025-01-15",
        "Paiement (Chèque, réf. 1234) — Facture nº 1 — Cotisation de janvier",
        "1",
        "",
        "100.00",
        "200.00",
    ]
    assert rows[4][0:2] == ["2025-02-02", rows[4][1]] and rows[4][3:] == ["", "300.00", "-100.00"]
    assert rows[5] == ["2025-03-01", "Facture nº 2 — Frais de stationnement", "2", "40.00", "", "-60.00"]
    assert rows[6] == ["2025-03-31", "Solde de clôture", "", "340.00", "400.00", "-60.00"]
    assert len(rows) == 7


def test_the_csv_speaks_the_readers_language_and_runs_no_formula(
    client: Client, ledger: Ledger, prop: Property
) -> None:
    ledger.invoice("10.00", when=at(dt.date(2025, 1, 2)), title='=HYPERLINK("http://x")')
    client.force_login(member(prop, Role.TREASURER, language="en"))
    rows = _rows(client.get(csv_url(prop, ledger.unit, "start=2025-01-01&end=2025-01-31")))
    assert rows[0] == ["Date", "Description", "Invoice number", "Debit", "Credit", "Balance"]
    assert rows[1][1] == "Opening balance" and rows[-1][1] == "Closing balance"
    assert rows[2][1] == 'Invoice no. 1 — =HYPERLINK("http://x")'
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)


def test_the_csv_of_an_invalid_period_sends_back_to_the_page_with_its_errors(
    manager_client: Client, ledger: Ledger, prop: Property
) -> None:
    response = manager_client.get(csv_url(prop, ledger.unit, "start=2025-03-01&end=2025-02-01"))
    assert response.status_code == 302
    assert response["Location"] == page_url(prop, ledger.unit, "start=2025-03-01&end=2025-02-01")


# --- The portal -------------------------------------------------------------------------------------


@pytest.fixture
def marie(ledger: Ledger) -> User:
    """Marie Tremblay, the unit's primary resident, with a portal login."""
    user = UserFactory(email="marie@example.com", language="fr")
    Resident.objects.filter(occupancies__unit=ledger.unit).update(user=user)
    return user


def test_the_portal_home_leads_to_the_statement_of_each_unit_in_each_property(
    client: Client, marie: User, ledger: Ledger
) -> None:
    second = UnitFactory(property=ledger.prop, number="205")
    link(marie, second, primary=False)
    elsewhere = UnitFactory(property=PropertyFactory(name="Tour Horizon"), number="PH-2")
    link(marie, elsewhere)
    client.force_login(marie)
    page = html(client.get(reverse("portal:home")))
    for unit in (ledger.unit, second, elsewhere):
        assert f'href="{portal_url(unit)}"' in page
    assert "Relevé de compte — unité PH-2 · Tour Horizon" in page
    assert html(client.get(portal_url(elsewhere)))


def test_a_resident_reads_their_statement_with_links_to_their_invoices(
    client: Client, marie: User, history: Ledger
) -> None:
    history.draft("999.00", title="Brouillon secret")
    client.force_login(marie)
    response = client.get(portal_url(history.unit, "start=2025-01-01&end=2025-03-31"))
    page, words = html(response), text(response)
    assert "Relevé de compte" in words and "Unité 101" in words
    assert "Brouillon secret" not in page and "999,00" not in page
    assert f"Crédit au compte : 60,00{NBSP}$" in words
    for invoice in history.unit.invoices.exclude(number=None):
        assert f'href="{reverse("portal:invoice", args=[invoice.pk])}"' in page
    assert "/p/" not in page.split('id="statement-lines"')[1]  # no link to the managers' pages
    rows = _rows(
        client.get(
            reverse("statements:portal_csv", args=[history.unit.pk]) + "?start=2025-01-01&end=2025-03-31"
        )
    )
    assert rows[-1] == ["2025-03-31", "Solde de clôture", "", "340.00", "400.00", "-60.00"]


def test_the_portal_statement_refuses_a_bad_period_beside_the_field(
    client: Client, marie: User, ledger: Ledger
) -> None:
    client.force_login(marie)
    page = html(client.get(portal_url(ledger.unit, "start=2025-03-01&end=2025-02-01")))
    assert 'value="2025-03-01"' in page and 'value="2025-02-01"' in page
    assert "La date de fin ne peut pas précéder la date de début." in page


def test_the_portal_statement_in_english(client: Client, ledger: Ledger) -> None:
    user = UserFactory(email="jean@example.com", language="en")
    link(user, ledger.unit, primary=False, name="Jean Gagnon")
    ledger.invoice("12.50", when=at(dt.date(2025, 5, 5)))
    client.force_login(user)
    words = text(client.get(portal_url(ledger.unit, "start=2025-05-01&end=2025-05-31")))
    assert "Account statement" in words and "Unit 101" in words
    assert "Closing balance on May 31, 2025 $12.50" in words and "Amount owed: $12.50" in words


def test_the_portal_statement_costs_the_same_queries_whatever_the_number_of_lines(
    client: Client, marie: User, ledger: Ledger
) -> None:
    client.force_login(marie)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(portal_url(ledger.unit)).status_code == 200
        return len(ctx.captured_queries)

    ledger.invoice("10.00")
    few = count()
    for _ in range(20):
        ledger.pay(ledger.invoice("10.00"), "10.00")
    assert count() == few


def test_drafts_of_another_unit_do_not_leak_into_the_statement(
    client: Client, marie: User, ledger: Ledger
) -> None:
    other = UnitFactory(property=ledger.prop, number="999")
    InvoiceFactory(property=ledger.prop, unit=other, number=77, status="open", title="Chez le voisin")
    client.force_login(marie)
    assert "Chez le voisin" not in html(client.get(portal_url(ledger.unit)))
