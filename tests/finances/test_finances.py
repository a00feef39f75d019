"""Funds, charge categories, invoice lines and taxes (issue 11, part A)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from logis.core.dates import today_in
from logis.core.errors import InvalidTransition, ValidationError
from logis.core.permissions import Role
from logis.finances import services
from logis.finances.models import CategoryCode, ChargeCategory, Fund, FundKind
from logis.finances.selectors import category_by_code, default_category, ensure_finance_defaults
from logis.finances.taxes import line_taxes
from logis.invoicing.lines import LineInput, invoices_out_of_balance
from logis.invoicing.models import Invoice
from logis.invoicing.services import create_invoice, update_invoice
from logis.properties.models import Property, Unit
from tests.factories import UnitFactory, member


@pytest.fixture
def unit(prop: Property) -> Unit:
    return UnitFactory(property=prop, number="101")


@pytest.fixture
def treasurer(prop: Property) -> Any:
    return member(prop, Role.TREASURER, email="tresorier@example.com")


def _due(prop: Property) -> dt.date:
    return today_in(prop.timezone) + dt.timedelta(days=10)


def _parking(prop: Property, actor: Any) -> ChargeCategory:
    ensure_finance_defaults(prop)
    operating = Fund.objects.get(property=prop, kind=FundKind.OPERATING)
    return services.create_category(
        actor=actor,
        property=prop,
        name="Location d'espace à un non-copropriétaire",
        fund_id=operating.pk,
        taxable=True,
    )


# --- Funds and categories --------------------------------------------------------------------------


def test_every_property_has_the_three_legal_funds_and_the_default_categories(prop: Property) -> None:
    ensure_finance_defaults(prop)
    kinds = set(Fund.objects.filter(property=prop).values_list("kind", flat=True))
    assert kinds == {"operating", "contingency", "self_insurance"}
    codes = set(ChargeCategory.objects.filter(property=prop).values_list("code", flat=True))
    assert {"condo_fees", "special_assessment", "late_fee", "opening_balance", "parking", "key_fob"} <= codes
    assert default_category(prop).code == CategoryCode.CONDO_FEES
    assert category_by_code(prop, CategoryCode.SPECIAL_ASSESSMENT).fund.kind == FundKind.CONTINGENCY
    ensure_finance_defaults(prop)  # idempotent
    assert Fund.objects.filter(property=prop).count() == 3


def test_legal_funds_stay_active_and_a_fund_in_use_is_never_deleted(prop: Property, treasurer: Any) -> None:
    ensure_finance_defaults(prop)
    contingency = Fund.objects.get(property=prop, kind=FundKind.CONTINGENCY)
    with pytest.raises(ValidationError) as refused:
        services.update_fund(actor=treasurer, property=prop, fund_id=contingency.pk, name="", is_active=False)
    assert "is_active" in refused.value.errors
    with pytest.raises(InvalidTransition):
        services.delete_fund(actor=treasurer, property=prop, fund_id=contingency.pk)
    custom = services.create_fund(actor=treasurer, property=prop, name="Fonds de rénovation du hall")
    services.create_category(actor=treasurer, property=prop, name="Hall", fund_id=custom.pk)
    with pytest.raises(InvalidTransition):
        services.delete_fund(actor=treasurer, property=prop, fund_id=custom.pk)
    with pytest.raises(ValidationError):
        services.create_fund(actor=treasurer, property=prop, name="fonds de RÉNOVATION du hall")


def test_a_category_used_by_an_invoice_is_deactivated_not_deleted(
    prop: Property, unit: Unit, treasurer: Any
) -> None:
    category = _parking(prop, treasurer)
    create_invoice(
        actor=treasurer,
        property=prop,
        unit_id=unit.pk,
        title="Location",
        amount=None,
        due_date=_due(prop),
        lines=[LineInput("Espace 12", category.pk, Decimal("100.00"))],
    )
    with pytest.raises(InvalidTransition):
        services.delete_category(actor=treasurer, property=prop, category_id=category.pk)
    services.update_category(
        actor=treasurer,
        property=prop,
        category_id=category.pk,
        name=category.name,
        fund_id=category.fund_id,
        taxable=True,
        is_active=False,
        is_default=False,
    )
    with pytest.raises(ValidationError) as refused:
        create_invoice(
            actor=treasurer,
            property=prop,
            unit_id=unit.pk,
            title="Location",
            amount=None,
            due_date=_due(prop),
            lines=[LineInput("Espace 12", category.pk, Decimal("100.00"))],
        )
    assert "lines.0.category" in refused.value.errors


def test_condo_contributions_and_the_default_category_stay_exempt(prop: Property, treasurer: Any) -> None:
    fees = default_category(prop)
    with pytest.raises(ValidationError) as refused:
        services.update_category(
            actor=treasurer,
            property=prop,
            category_id=fees.pk,
            name="",
            fund_id=fees.fund_id,
            taxable=True,
            is_active=True,
            is_default=True,
        )
    assert "taxable" in refused.value.errors


@pytest.mark.parametrize(
    ("gst", "qst", "ok"),
    [
        ("123456789RT0001", "1234567890TQ0001", True),
        ("123456789 rt 0001", "1234567890 tq 0001", True),
        ("", "", True),
        ("12345678RT0001", "1234567890TQ0001", False),
        ("123456789RT0001", "123456789TQ0001", False),
        ("123456789RC0001", "1234567890TQ0001", False),
    ],
)
def test_gst_and_qst_numbers_have_their_official_formats(
    prop: Property, treasurer: Any, gst: str, qst: str, ok: bool
) -> None:
    if ok:
        saved = services.update_tax_registration(
            actor=treasurer, property=prop, gst_number=gst, qst_number=qst
        )
        assert saved.gst_number == gst.replace(" ", "").upper()
    else:
        with pytest.raises(ValidationError):
            services.update_tax_registration(actor=treasurer, property=prop, gst_number=gst, qst_number=qst)


def test_a_board_member_may_not_change_the_funds(prop: Property) -> None:
    from logis.core.errors import PermissionDenied

    board = member(prop, Role.BOARD)
    with pytest.raises(PermissionDenied):
        services.create_fund(actor=board, property=prop, name="X")


# --- Taxes and lines ------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(cents=st.integers(min_value=1, max_value=9_999_999_999))
def test_taxes_are_5_and_9_975_percent_of_each_line_rounded_half_up(cents: int) -> None:
    amount = Decimal(cents) / 100
    gst, qst = line_taxes(amount, taxable=True)
    assert gst == (amount * Decimal("0.05")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert qst == (amount * Decimal("0.09975")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert abs(gst - amount * Decimal("0.05")) <= Decimal("0.005")
    assert abs(qst - amount * Decimal("0.09975")) <= Decimal("0.005")
    assert line_taxes(amount, taxable=False) == (Decimal("0.00"), Decimal("0.00"))


def test_a_known_case_rounds_each_tax_half_up() -> None:
    # 10.10 $: GST 0.505 -> 0.51; QST 1.007475 -> 1.01.
    assert line_taxes(Decimal("10.10"), taxable=True) == (Decimal("0.51"), Decimal("1.01"))


@pytest.mark.django_db
@settings(max_examples=25, deadline=None)
@given(
    amounts=st.lists(st.integers(min_value=1, max_value=10_000_000), min_size=1, max_size=6),
    taxed=st.booleans(),
)
def test_the_invoice_amount_is_the_sum_of_its_lines_with_their_taxes(amounts: list[int], taxed: bool) -> None:
    from tests.factories import PropertyFactory

    prop = PropertyFactory()
    unit = UnitFactory(property=prop)
    admin = member(prop, Role.ADMIN)
    category = _parking(prop, admin) if taxed else default_category(prop)
    lines = [LineInput(f"Ligne {i}", category.pk, Decimal(c) / 100) for i, c in enumerate(amounts)]
    invoice = create_invoice(
        actor=admin, property=prop, unit_id=unit.pk, title="T", amount=None, due_date=_due(prop), lines=lines
    )
    expected = sum((sum(line_taxes(x.amount, taxable=taxed), x.amount) for x in lines), Decimal("0"))  # type: ignore[arg-type,type-var]
    assert invoice.amount == expected
    assert list(invoice.lines.values_list("position", flat=True)) == list(range(1, len(lines) + 1))
    assert invoice.pk not in invoices_out_of_balance()


def test_a_one_line_invoice_goes_to_the_default_category_and_a_late_fee_to_its_own(
    prop: Property, unit: Unit, manager: Any
) -> None:
    invoice = create_invoice(
        actor=manager,
        property=prop,
        unit_id=unit.pk,
        title="Cotisation",
        amount=Decimal("250.00"),
        due_date=_due(prop),
    )
    line = invoice.lines.get()
    assert (line.description, line.category.code, line.amount, line.gst_amount) == (
        "Cotisation",
        "condo_fees",
        Decimal("250.00"),
        Decimal("0.00"),
    )
    fee = create_invoice(
        actor=manager,
        property=prop,
        unit_id=unit.pk,
        title="Frais de retard",
        amount=Decimal("25.00"),
        due_date=_due(prop),
        category_code=CategoryCode.LATE_FEE,
    )
    assert fee.lines.get().category.code == "late_fee"


def test_editing_a_draft_replaces_its_lines_and_its_amount(prop: Property, unit: Unit, manager: Any) -> None:
    invoice = create_invoice(
        actor=manager,
        property=prop,
        unit_id=unit.pk,
        title="Cotisation",
        amount=Decimal("250.00"),
        due_date=_due(prop),
    )
    fob = category_by_code(prop, CategoryCode.KEY_FOB)
    update_invoice(
        actor=manager,
        invoice_id=invoice.pk,
        unit_id=unit.pk,
        title="Cotisation et puce",
        amount=None,
        due_date=_due(prop),
        lines=[LineInput("Cotisation", None, Decimal("250.00")), LineInput("Puce", fob.pk, Decimal("35.00"))],
    )
    invoice.refresh_from_db()
    assert invoice.amount == Decimal("285.00")
    assert [(x.description, x.category_id) for x in invoice.lines.all()] == [
        ("Cotisation", default_category(prop).pk),
        ("Puce", fob.pk),
    ]
    with pytest.raises(ValidationError):  # several lines: the amount alone is not enough
        update_invoice(
            actor=manager,
            invoice_id=invoice.pk,
            unit_id=unit.pk,
            title="X",
            amount=Decimal("1.00"),
            due_date=_due(prop),
        )


def test_every_invoice_creation_path_leaves_amounts_equal_to_their_lines(
    prop: Property, unit: Unit, manager: Any
) -> None:
    from logis.billing.batches import create_batch

    create_invoice(
        actor=manager,
        property=prop,
        unit_id=unit.pk,
        title="Un",
        amount=Decimal("10.00"),
        due_date=_due(prop),
    )
    UnitFactory(property=prop, number="102")
    create_batch(
        actor=manager,
        property=prop,
        unit_scope="all",
        unit_ids=[],
        title="Cotisation spéciale",
        amount_mode="same",
        amount=Decimal("100.00"),
        due_date=_due(prop),
    )
    assert Invoice.objects.filter(property=prop).count() == 3
    assert invoices_out_of_balance() == []


# --- Pages ----------------------------------------------------------------------------------------


def test_the_settings_page_lists_funds_and_categories_in_french_and_english(
    prop: Property, treasurer: Any
) -> None:
    client = Client()
    client.force_login(treasurer)
    url = reverse("finances:settings", args=[prop.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Fonds de prévoyance" in page and "Charges de copropriété" in page and "Ajouter un fonds" in page
    treasurer.language = "en"
    treasurer.save()
    client.cookies.clear()
    client.force_login(treasurer)
    page = client.get(url).content.decode()
    assert "Contingency fund" in page or "Fonds de prévoyance" in page


def test_adding_a_category_keeps_what_was_typed_beside_the_error(prop: Property, treasurer: Any) -> None:
    client = Client()
    client.force_login(treasurer)
    ensure_finance_defaults(prop)
    fund = Fund.objects.get(property=prop, kind=FundKind.OPERATING)
    response = client.post(
        reverse("finances:category_add", args=[prop.pk]),
        {"category-name": "Charges de copropriété", "category-fund": str(fund.pk)},
    )
    page = response.content.decode()
    assert "Une catégorie de cette propriété porte déjà ce nom." in page
    assert 'value="Charges de copropriété"' in page


def test_the_dialog_adds_a_line_and_creates_an_invoice_of_two_lines(
    prop: Property, unit: Unit, manager_client: Client
) -> None:
    url = reverse("invoicing:create", args=[prop.pk])
    base = {
        "unit": str(unit.pk),
        "title": "Cotisation de décembre",
        "amount": "250,00",
        "due_date": _due(prop).isoformat(),
        "description": "",
        "lines-TOTAL_FORMS": "0",
        "lines-INITIAL_FORMS": "0",
    }
    added = manager_client.post(url, {**base, "add_line": "1"}).content.decode()
    assert 'name="lines-0-description"' in added and 'value="Cotisation de décembre"' in added
    assert "Ligne 2" in added and Invoice.objects.count() == 0
    fob = category_by_code(prop, CategoryCode.KEY_FOB)
    response = manager_client.post(
        url,
        {
            **base,
            "lines-TOTAL_FORMS": "1",
            "lines-0-description": "Puce d'accès supplémentaire",
            "lines-0-category": str(fob.pk),
            "lines-0-amount": "35",
        },
    )
    assert response.status_code == 302
    invoice = Invoice.objects.get()
    assert invoice.amount == Decimal("285.00")
    assert [x.category.code for x in invoice.lines.select_related("category")] == ["condo_fees", "key_fob"]
    detail = manager_client.get(reverse("invoicing:detail", args=[prop.pk, invoice.pk])).content.decode()
    assert "accès supplémentaire" in detail and "285,00" in detail


def test_a_line_error_shows_beside_its_field(prop: Property, unit: Unit, manager_client: Client) -> None:
    response = manager_client.post(
        reverse("invoicing:create", args=[prop.pk]),
        {
            "unit": str(unit.pk),
            "title": "Cotisation",
            "amount": "250",
            "due_date": _due(prop).isoformat(),
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-description": "Puce",
            "lines-0-category": str(default_category(prop).pk),
            "lines-0-amount": "0",
        },
    )
    page = response.content.decode()
    assert "Le montant doit être supérieur à 0" in page and 'id="id_lines-0-amount_error"' in page
    assert Invoice.objects.count() == 0
