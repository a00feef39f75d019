"""The invoice endpoints do what the Factures pages do, through the same services and selectors:
derived overdue status, filters, pagination in a constant number of queries, drafts created once per
Idempotency-Key, money as strings, errors in the language of Accept-Language."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.invoicing import selectors
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.notifications.models import EmailMessage
from logis.payments.services import record_payment
from tests.factories import InvoiceFactory, UnitFactory, open_invoice
from tests.roles import World

pytestmark = pytest.mark.django_db


def _today(w: World) -> dt.date:
    return today_in(w.prop.timezone)


def _base(w: World) -> str:
    return f"/properties/{w.prop.pk}/invoices"


def _new(w: World, **over: Any) -> dict[str, Any]:
    body = {
        "unit": w.unit.pk,
        "title": "Cotisation de décembre",
        "amount": "1234.50",
        "due_date": (_today(w) + dt.timedelta(days=20)).isoformat(),
    }
    return {**body, **over}


@pytest.fixture
def manager_api(api_for: Any) -> Any:
    return api_for(Role.MANAGER)


def test_list_shows_overdue_as_the_factures_page_derives_it(world: World, manager_api: Any) -> None:
    late = open_invoice(world.prop, number=1, unit=world.unit, due_date=_today(world) - dt.timedelta(days=1))
    current = open_invoice(world.prop, number=2, unit=world.unit, due_date=_today(world))
    paid_late = open_invoice(
        world.prop,
        number=3,
        unit=world.unit,
        due_date=_today(world) - dt.timedelta(days=5),
        amount_paid=Decimal("100.00"),
    )
    items = {i["id"]: i["status"] for i in manager_api.get(_base(world)).json()["items"]}
    assert items == {late.pk: "overdue", current.pk: "open", paid_late.pk: "paid"}
    overdue = manager_api.get(_base(world), {"status": "overdue"}).json()
    assert [i["id"] for i in overdue["items"]] == [late.pk] and overdue["count"] == 1
    opened = manager_api.get(_base(world), {"status": "open"}).json()
    assert [i["id"] for i in opened["items"]] == [current.pk]


def test_list_filters_by_unit_due_dates_and_search_like_the_page(world: World, manager_api: Any) -> None:
    other_unit = UnitFactory(property=world.prop, number="PH-2")
    today = _today(world)
    a = InvoiceFactory(
        property=world.prop, unit=world.unit, title="Eau chaude", due_date=today + dt.timedelta(days=3)
    )
    b = InvoiceFactory(
        property=world.prop, unit=other_unit, title="Stationnement", due_date=today + dt.timedelta(days=9)
    )
    assert [i["id"] for i in manager_api.get(_base(world), {"unit": other_unit.pk}).json()["items"]] == [b.pk]
    window = {
        "due_from": (today + dt.timedelta(days=1)).isoformat(),
        "due_to": (today + dt.timedelta(days=5)).isoformat(),
    }
    assert [i["id"] for i in manager_api.get(_base(world), window).json()["items"]] == [a.pk]
    assert [i["id"] for i in manager_api.get(_base(world), {"search": "ph-2"}).json()["items"]] == [b.pk]
    assert [i["id"] for i in manager_api.get(_base(world), {"search": "chaude"}).json()["items"]] == [a.pk]
    by_due = manager_api.get(_base(world), {"sort": "-due"}).json()["items"]
    assert [i["id"] for i in by_due] == [b.pk, a.pk]


def test_list_pages_by_limit_and_offset_without_overlap(world: World, manager_api: Any) -> None:
    made = [InvoiceFactory(property=world.prop, unit=world.unit) for _ in range(7)]
    first = manager_api.get(_base(world), {"limit": 3, "sort": "created"}).json()
    second = manager_api.get(_base(world), {"limit": 3, "offset": 3, "sort": "created"}).json()
    last = manager_api.get(_base(world), {"limit": 3, "offset": 6, "sort": "created"}).json()
    ids = [i["id"] for page in (first, second, last) for i in page["items"]]
    assert ids == [i.pk for i in made]
    assert first["count"] == 7 and (first["limit"], second["offset"]) == (3, 3)


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 201},
        {"limit": 0},
        {"offset": -1},
        {"status": "late"},
        {"sort": "colour"},
        {"due_from": "2026-02-30"},
        {"unit": "abc"},
    ],
)
def test_list_refuses_bad_parameters_with_a_message(
    world: World, manager_api: Any, params: dict[str, Any]
) -> None:
    response = manager_api.get(_base(world), params)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert list(errors) == list(params) and all(errors.values())


def test_list_refuses_an_unknown_parameter_rather_than_ignoring_it(world: World, manager_api: Any) -> None:
    response = manager_api.get(_base(world), {"stauts": "overdue"})
    assert response.status_code == 422
    assert response.json() == {"errors": {"stauts": ["Ce paramètre n'est pas accepté ici."]}}


def _count_queries(client: Any, path: str, params: dict[str, Any]) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params)
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_list_takes_a_constant_number_of_queries_whatever_the_page_size(
    world: World, manager_api: Any
) -> None:
    manager_api.get(_base(world))  # "last used" is written on the first request only
    for n in range(3):
        open_invoice(world.prop, number=n + 1, unit=UnitFactory(property=world.prop))
    small = _count_queries(manager_api, _base(world), {"limit": 2})
    for n in range(3, 60):
        open_invoice(world.prop, number=n + 1, unit=UnitFactory(property=world.prop))
    large = _count_queries(manager_api, _base(world), {"limit": 200})
    filtered = _count_queries(manager_api, _base(world), {"limit": 200, "status": "open", "search": "Fact"})
    # token, property with the role (one query, decision 0042), the summary rows' count (a COUNT when
    # searching), rows; a search first finds the units it names (one query, decision 0044)
    assert small == large == 4
    assert filtered == 5


def test_summary_is_the_factures_cards(world: World, manager_api: Any) -> None:
    open_invoice(
        world.prop, number=1, unit=world.unit, amount=Decimal("100.00"), amount_paid=Decimal("40.00")
    )
    open_invoice(
        world.prop,
        number=2,
        unit=world.unit,
        amount=Decimal("80.10"),
        due_date=_today(world) - dt.timedelta(days=3),
    )
    open_invoice(world.prop, number=3, unit=world.unit, amount=Decimal("0.20"), amount_paid=Decimal("0.20"))
    InvoiceFactory(property=world.prop, unit=world.unit)
    body = manager_api.get(f"{_base(world)}/summary").json()
    cards = selectors.invoice_summary(world.prop, _today(world))
    assert body == {
        "today": _today(world).isoformat(),
        "total": {"amount": "140.30", "count": 3},
        "open": {"amount": "60.00", "count": 1},
        "overdue": {"amount": "80.10", "count": 1},
        "paid": {"amount": "0.20", "count": 1},
    }
    assert body["total"]["amount"] == f"{cards.total.amount:.2f}"


def test_detail_has_the_payments_and_money_as_strings(world: World, manager_api: Any) -> None:
    invoice = open_invoice(world.prop, number=1, unit=world.unit, amount=Decimal("300.00"))
    record_payment(
        property=world.prop,
        invoice_id=invoice.pk,
        actor=world.users[Role.ADMIN],
        amount=Decimal("100.10"),
        paid_on=_today(world),
        method="interac",
        reference="TX-9",
    )
    body = manager_api.get(f"{_base(world)}/{invoice.pk}").json()
    assert (body["amount"], body["amount_paid"], body["balance_due"]) == ("300.00", "100.10", "199.90")
    assert [(p["amount"], p["method"], p["reference"], p["kind"]) for p in body["payments"]] == [
        ("100.10", "interac", "TX-9", "payment")
    ]
    assert body["unit"] == {"id": world.unit.pk, "number": world.unit.number}


def test_create_makes_a_draft_through_the_service(world: World, manager_api: Any) -> None:
    response = manager_api.post(_base(world), _new(world, description="Chauffage", notify_resident=True))
    assert response.status_code == 201
    body = response.json()
    invoice = Invoice.objects.get(pk=body["id"])
    assert invoice.status == InvoiceStatus.DRAFT and invoice.amount == Decimal("1234.50")
    assert body["status"] == "draft" and body["number"] is None and body["amount"] == "1234.50"
    assert invoice.created_by == world.users[Role.MANAGER] and invoice.notify_resident
    assert invoice.description == "Chauffage"


def test_the_same_idempotency_key_creates_one_invoice(world: World, manager_api: Any) -> None:
    first = manager_api.post(_base(world), _new(world), **{"Idempotency-Key": "compta-2026-12-101"})
    again = manager_api.post(_base(world), _new(world), **{"Idempotency-Key": "compta-2026-12-101"})
    other = manager_api.post(_base(world), _new(world), **{"Idempotency-Key": "compta-2026-12-102"})
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)
    assert first.json() == again.json()
    assert other.json()["id"] != first.json()["id"]
    assert Invoice.objects.count() == 2


def test_idempotency_keys_belong_to_their_user(world: World, api_for: Any) -> None:
    key = {"Idempotency-Key": "same"}
    mine = api_for(Role.MANAGER).post(_base(world), _new(world), **key)
    theirs = api_for(Role.TREASURER).post(_base(world), _new(world), **key)
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]


def test_an_unusable_idempotency_key_is_refused(world: World, manager_api: Any) -> None:
    response = manager_api.post(_base(world), _new(world), **{"Idempotency-Key": "x" * 256})
    assert response.status_code == 422 and "Idempotency-Key" in response.json()["errors"]
    assert not Invoice.objects.exists()


@pytest.mark.parametrize("amount", [1234.5, 100, "12.345", "1 234,50", "-5", "1e3", True, None])
def test_an_amount_must_be_a_string_with_two_decimals_at_most(
    world: World, manager_api: Any, amount: Any
) -> None:
    response = manager_api.post(_base(world), _new(world, amount=amount))
    assert response.status_code == 422
    message = response.json()["errors"]["amount"]
    assert message == [
        'Envoyez le montant comme chaîne JSON avec au plus deux décimales, par exemple "1234.50".'
    ]
    assert not Invoice.objects.exists()


def test_an_amount_is_read_exactly(world: World, manager_api: Any) -> None:
    body = manager_api.post(_base(world), _new(world, amount="0.1")).json()
    assert body["amount"] == "0.10"
    assert Invoice.objects.get().amount == Decimal("0.10")


def test_service_errors_come_in_the_language_of_accept_language(world: World, api_for: Any) -> None:
    past = (_today(world) - dt.timedelta(days=1)).isoformat()
    body = _new(world, due_date=past, amount="0.00", title="   ")
    french = api_for(Role.MANAGER).post(_base(world), body)
    english = api_for(Role.MANAGER, "en-CA,en;q=0.8").post(_base(world), body)
    default = api_for(Role.MANAGER, "de-DE").post(_base(world), body)
    assert french.status_code == english.status_code == default.status_code == 422
    assert (
        french.json()["errors"]
        == default.json()["errors"]
        == {
            "title": ["Entrez un titre."],
            "amount": ["Le montant doit être supérieur à 0 $."],
            "due_date": ["La date d'échéance doit être aujourd'hui ou une date ultérieure."],
        }
    )
    assert english.json()["errors"] == {
        "title": ["Enter a title."],
        "amount": ["The amount must be greater than $0."],
        "due_date": ["The due date must be today or later."],
    }
    assert english["Content-Language"] == "en" and french["Content-Language"] == "fr"


def test_input_errors_come_in_both_languages_too(world: World, api_for: Any) -> None:
    body = {"unit": "101", "title": 5, "due_date": "31/12/2026", "colour": "red"}
    fr = api_for(Role.MANAGER).post(_base(world), body).json()["errors"]
    en = api_for(Role.MANAGER, "en").post(_base(world), body).json()["errors"]
    assert fr == {
        "unit": ["Entrez un nombre entier."],
        "title": ["Envoyez cette valeur comme chaîne JSON."],
        "amount": ["Ce champ est obligatoire."],
        "due_date": ["Entrez une date au format AAAA-MM-JJ, par exemple 2026-12-31."],
        "colour": ["Ce champ n'est pas accepté ici."],
    }
    assert en == {
        "unit": ["Enter a whole number."],
        "title": ["Send this value as a JSON string."],
        "amount": ["This field is required."],
        "due_date": ["Enter a date as YYYY-MM-DD, for example 2026-12-31."],
        "colour": ["This field is not accepted here."],
    }


def test_a_body_that_is_not_json_answers_400(world: World, manager_api: Any) -> None:
    response = manager_api.post(
        _base(world),
        "{not json",
    )
    assert response.status_code == 400
    assert response.json() == {"errors": {"__all__": ["Le corps de la requête n'est pas du JSON valide."]}}


def test_unit_of_another_property_is_refused_beside_the_field(world: World, manager_api: Any) -> None:
    response = manager_api.post(_base(world), _new(world, unit=world.other_unit.pk))
    assert response.status_code == 422
    assert response.json()["errors"] == {"unit": ["Choisissez une unité de cette propriété."]}


def test_patch_changes_only_the_fields_sent(world: World, manager_api: Any) -> None:
    draft = manager_api.post(_base(world), _new(world, description="Garder")).json()
    response = manager_api.patch(f"{_base(world)}/{draft['id']}", {"amount": "99.99", "title": "Corrigé"})
    assert response.status_code == 200
    body = response.json()
    assert (body["amount"], body["title"], body["description"], body["due_date"]) == (
        "99.99",
        "Corrigé",
        "Garder",
        draft["due_date"],
    )


def test_a_published_invoice_cannot_be_edited_409(world: World, manager_api: Any) -> None:
    invoice = open_invoice(world.prop, number=1, unit=world.unit)
    response = manager_api.patch(f"{_base(world)}/{invoice.pk}", {"title": "x"})
    assert response.status_code == 409
    assert response.json() == {"message": "Seules les factures en brouillon peuvent être modifiées."}


def test_publish_numbers_the_draft_and_says_where_the_email_went(world: World, manager_api: Any) -> None:
    world.prop.next_invoice_number = 7
    world.prop.save()
    draft = manager_api.post(_base(world), _new(world, notify_resident=True)).json()
    response = manager_api.post(f"{_base(world)}/{draft['id']}/publish")
    assert response.status_code == 200
    body = response.json()
    assert (body["invoice"]["number"], body["invoice"]["status"]) == (7, "open")
    assert body["email"] == {"requested": True, "to": world.resident.email, "not_sent_because": None}
    assert EmailMessage.objects.filter(invoice_id=draft["id"]).count() == 1
    again = manager_api.post(f"{_base(world)}/{draft['id']}/publish")
    assert again.status_code == 409


def test_publish_says_why_no_email_can_be_sent(world: World, api_for: Any) -> None:
    lonely = UnitFactory(property=world.prop, number="112")
    client = api_for(Role.MANAGER, "en")
    draft = client.post(_base(world), _new(world, unit=lonely.pk, notify_resident=True)).json()
    body = client.post(f"{_base(world)}/{draft['id']}/publish").json()
    assert body["email"]["requested"] and body["email"]["to"] is None
    assert body["email"]["not_sent_because"]


def test_void_needs_a_reason_and_keeps_the_invoice(world: World, manager_api: Any) -> None:
    draft = manager_api.post(_base(world), _new(world)).json()
    refused = manager_api.post(f"{_base(world)}/{draft['id']}/void", {"reason": "  "})
    assert refused.status_code == 422
    assert refused.json()["errors"] == {"reason": ["Entrez le motif de l'annulation de cette facture."]}
    done = manager_api.post(f"{_base(world)}/{draft['id']}/void", {"reason": "Doublon"})
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["void_reason"]) == ("void", "Doublon")
    assert manager_api.post(f"{_base(world)}/{draft['id']}/void", {"reason": "Encore"}).status_code == 409
