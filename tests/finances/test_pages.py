"""Budget and special-assessment pages: preview before anything is created, errors beside the fields,
confirmation, permissions (board members read, never change; other properties answer 404)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook  # type: ignore[import-untyped]

from logis.accounts.models import User
from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.finances.models import Budget, BudgetStatus, Fund, FundKind, SpecialAssessment
from logis.invoicing.models import Invoice, InvoiceLine, InvoiceStatus
from logis.properties.models import Property, Unit
from tests.factories import PropertyFactory, member

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def budget_post(funds: dict[str, Fund], operating: str, contingency: str, year: int | None = None) -> dict:
    data = {
        f"fund_{funds[FundKind.OPERATING].pk}": operating,
        f"fund_{funds[FundKind.CONTINGENCY].pk}": contingency,
        f"fund_{funds[FundKind.SELF_INSURANCE].pk}": "",
    }
    if year is not None:
        data["fiscal_year"] = str(year)
    return data


def test_budget_pages_show_the_table_then_confirm_then_create_the_dues(
    prop: Property, manager_client: Client, units: list[Unit], fund_by_kind: dict[str, Fund]
) -> None:
    year = today_in(prop.timezone).year + 1  # next fiscal year: all of its months are still to come
    listing = manager_client.get(reverse("budgets:list", args=[prop.pk]))
    assert "Aucun budget" in listing.content.decode()
    url = reverse("budgets:create", args=[prop.pk])
    wrong = manager_client.post(url, budget_post(fund_by_kind, "abc", "10", year))
    assert wrong.status_code == 200
    assert 'value="abc"' in wrong.content.decode()  # what was typed is kept beside its error
    response = manager_client.post(url, budget_post(fund_by_kind, "100 000,00", "4 000,00", year))
    budget = Budget.objects.get(property=prop)
    assert response.status_code == 302
    page = manager_client.get(response["Location"]).content.decode()
    assert "Cotisations par unité" in page
    assert "100\u00a0000,00\u00a0$" in page or "100 000,00 $" in page
    assert "contingency-warning" in page  # 4 000 $ < 5 % of 100 000 $
    adopt = reverse("budgets:adopt", args=[prop.pk, budget.pk])
    dues = {"title_pattern": "Cotisations — {mois}", "day_of_month": "1", "lead_days": "15"}
    confirm = manager_client.post(adopt, {**dues, "action": "review"})
    assert confirm.status_code == 200
    assert "Confirmer la création des charges" in confirm.content.decode()
    assert Budget.objects.get(pk=budget.pk).status == BudgetStatus.DRAFT  # nothing created yet
    done = manager_client.post(adopt, {**dues, "action": "confirm"})
    assert done.status_code == 302, done.context["dues_form"].errors
    assert Budget.objects.get(pk=budget.pk).status == BudgetStatus.ADOPTED
    # The dues are an ordinary schedule on the Frais récurrents page, and the budget page links to it.
    schedules = manager_client.get(reverse("billing:schedules", args=[prop.pk]))
    assert schedules.status_code == 200
    assert "Cotisations — {mois}" in schedules.content.decode()
    adopted = manager_client.get(reverse("budgets:detail", args=[prop.pk, budget.pk])).content.decode()
    assert "Frais récurrents" in adopted
    assert "contributions-total" in adopted


def test_the_contributions_table_downloads_with_totals_equal_to_the_budget(
    prop: Property, manager_client: Client, units: list[Unit], fund_by_kind: dict[str, Fund]
) -> None:
    """Issue 11: every report also as XLSX and as a fr-CA CSV — the contributions table too."""
    year = today_in(prop.timezone).year + 1
    manager_client.post(
        reverse("budgets:create", args=[prop.pk]), budget_post(fund_by_kind, "100 000,00", "5 000,00", year)
    )
    budget = Budget.objects.get(property=prop)
    page = manager_client.get(reverse("budgets:detail", args=[prop.pk, budget.pk])).content.decode()
    url = reverse("budgets:contributions_export", args=[prop.pk, budget.pk])
    assert f'href="{url}?format=xlsx"' in page and "Exporter les cotisations" in page
    french = manager_client.get(url, {"format": "csv-fr"})
    assert "cotisations" in french["Content-Disposition"]
    rows = list(
        csv.reader(io.StringIO(b"".join(french.streaming_content).decode("utf-8-sig")), delimiter=";")
    )
    assert rows[0][:4] == [
        "Unité",
        "Quote-part (%)",
        "Fonds d'exploitation — Annuelle",
        "Fonds d'exploitation — Mensuelle",
    ]
    assert rows[-1][0] == "Total" and rows[-1][-2] == "105000,00"
    operating = rows[0].index("Fonds d'exploitation — Annuelle")
    assert sum(Decimal(r[operating].replace(",", ".")) for r in rows[1:-1]) == Decimal("100000.00")
    assert len(rows) == len(units) + 2
    workbook = manager_client.get(url, {"format": "xlsx"})
    values = list(
        load_workbook(io.BytesIO(b"".join(workbook.streaming_content))).active.iter_rows(values_only=True)
    )
    assert values[-1][0] == "Total" and values[-1][-2] == 105000
    other = PropertyFactory(name="Ailleurs")
    assert (
        manager_client.get(reverse("budgets:contributions_export", args=[other.pk, budget.pk])).status_code
        == 404
    )


def test_board_members_read_budgets_but_change_nothing(
    prop: Property, units: list[Unit], fund_by_kind: dict[str, Fund]
) -> None:
    board = client_for(member(prop, Role.BOARD, email="conseil@example.com"))
    assert board.get(reverse("budgets:list", args=[prop.pk])).status_code == 200
    assert board.get(reverse("budgets:create", args=[prop.pk])).status_code == 403
    assert board.get(reverse("budgets:assessments", args=[prop.pk])).status_code == 200
    assert board.get(reverse("budgets:assessment_create", args=[prop.pk])).status_code == 403


def test_another_propertys_budget_answers_404(
    prop: Property, manager_client: Client, units: list[Unit], fund_by_kind: dict[str, Fund]
) -> None:
    other = PropertyFactory(name="Ailleurs")
    assert manager_client.get(reverse("budgets:list", args=[other.pk])).status_code == 404


def test_special_assessment_preview_then_create_published_instalments(
    prop: Property, manager_client: Client, units: list[Unit]
) -> None:
    first = today_in(prop.timezone) + dt.timedelta(days=5)
    url = reverse("budgets:assessment_create", args=[prop.pk])
    form = manager_client.get(url)
    token = form.context["form"].initial["token"]
    category = form.context["form"].initial["category"]
    data = {
        "description": "Réfection de la toiture",
        "total": "10 000,01",
        "split_rule": "share",
        "instalment_count": "3",
        "first_due_date": first.isoformat(),
        "category": str(category),
        "publish": "publish",
        "token": str(token),
    }
    preview = manager_client.post(url, {**data, "action": "preview"})
    assert preview.status_code == 200
    plan = preview.context["plan"]
    assert plan.invoice_count == 12
    assert sum(sum(r.instalments) for r in plan.rows) == Decimal("10000.01")
    assert not Invoice.objects.exists()
    created = manager_client.post(url, {**data, "action": "create"})
    assert created.status_code == 302
    again = manager_client.post(url, {**data, "action": "create"})  # the same form twice: one assessment
    assert again.status_code == 302
    assert SpecialAssessment.objects.count() == 1
    invoices = Invoice.objects.filter(property=prop)
    assert invoices.count() == 12
    assert all(inv.status == InvoiceStatus.OPEN for inv in invoices)
    assert sum(inv.amount for inv in invoices) == Decimal("10000.01")
    assert InvoiceLine.objects.filter(invoice__property=prop, category_id=category).count() == 12
    titles = set(invoices.values_list("title", flat=True))
    assert titles == {f"Réfection de la toiture ({n}/3)" for n in (1, 2, 3)}
    detail = manager_client.get(created["Location"])
    assert detail.status_code == 200


def test_special_assessment_errors_beside_the_fields(
    prop: Property, manager_client: Client, units: list[Unit]
) -> None:
    url = reverse("budgets:assessment_create", args=[prop.pk])
    response = manager_client.post(
        url,
        {
            "description": "",
            "total": "0",
            "split_rule": "share",
            "instalment_count": "0",
            "first_due_date": "2001-01-01",
            "publish": "drafts",
            "action": "preview",
        },
    )
    form = response.context["form"]
    assert set(form.errors) >= {"description", "total", "instalment_count", "first_due_date", "category"}
    assert not Invoice.objects.exists()
