"""The managers' side of automatic payment (decision 0031): the property's enrolled units with their next
debit and the latest debits (Paiements > Paiement automatique), and a manager stopping a unit's automatic
payment with a reason the resident receives by email."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from logis.core.dates import today_in
from logis.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from logis.core.models import AuditEvent
from logis.core.permissions import Role
from logis.notifications.models import EmailMessage
from logis.payments import autopay
from logis.payments.autopay import run_autopay
from logis.payments.fake_stripe_autopay import PAD_ACCOUNT_FAILS
from logis.payments.models import AutopayDebit, AutopayEnrolment
from logis.properties.models import Property
from tests.api.conftest import ApiClient, token_for
from tests.factories import PropertyFactory, member
from tests.payments.stripe_fake import (  # noqa: F401 - stripe_fake is a fixture
    RunningFake,
    payer,
    post_event,
    stripe_fake_fixture,
)
from tests.payments.test_autopay import at, enrol, next_invoice

_SEQ = itertools.count()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    yield
    translation.deactivate()


@pytest.fixture
def building(db: None) -> Property:
    return PropertyFactory(
        name="Les Jardins du Parc",
        payments_enabled=True,
        accepted_methods=["card", "acss_debit", "cheque"],
        next_invoice_number=10,
    )


def _manager(prop: Property, role: str = Role.MANAGER, language: str = "fr") -> Client:
    client = Client()
    client.force_login(
        member(prop, role, email=f"{role}-{language}-{next(_SEQ)}@example.com", language=language)
    )
    return client


def test_the_list_shows_each_enrolled_unit_its_next_debit_and_the_latest_debits(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    first = payer(building, number=1)
    enrol(first, stripe_fake, client)
    invoice = next_invoice(first, days=5, amount="250.00", number=20)
    payer(building, number=2, email="paul@example.com")  # not enrolled
    run_autopay(now=at(today_in(building.timezone)))
    page = _manager(building, language="en").get(f"/p/{building.pk}/payments/autopay/").content.decode()
    assert "1 unit of 2 pays by automatic debit." in page
    assert 'id="autopay-enrolments"' in page and "marie@example.com" in page and "101" in page
    assert "250.00" in page  # its next debit
    assert 'id="autopay-debits"' in page and "Scheduled" in page
    assert "paul@example.com" not in page
    french = _manager(building, Role.BOARD).get(f"/p/{building.pk}/payments/autopay/").content.decode()
    assert "1 unité sur 2 paie par prélèvement automatique." in french
    assert "Arrêter" not in french  # the board sees, does not stop
    assert invoice.pk


def test_the_list_without_any_enrolment_says_how_residents_enrol(building: Property) -> None:
    page = _manager(building).get(f"/p/{building.pk}/payments/autopay/").content.decode()
    assert 'id="autopay-empty"' in page and "Aucune unité ne paie encore par prélèvement automatique." in page
    assert 'id="autopay-no-debits"' in page


def test_the_list_costs_the_same_queries_whatever_the_number_of_enrolments(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    manager = _manager(building)
    url = f"/p/{building.pk}/payments/autopay/"

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert manager.get(url).status_code == 200
        return len(ctx)

    enrol(payer(building, number=1), stripe_fake, client)
    one = queries()
    for n in range(2, 6):
        p = payer(building, number=n, email=f"r{n}@example.com")
        enrol(p, stripe_fake, client)
        next_invoice(p, days=5, number=10 + n)
    run_autopay(now=at(today_in(building.timezone)))
    assert queries() == one


def test_enrolled_units_page_by_fifty_in_unit_order(
    building: Property, stripe_fake: RunningFake, client: Client, settings: object
) -> None:
    from logis.payments import selectors

    people = [payer(building, number=n, email=f"r{n}@example.com") for n in range(1, 5)]
    for p in people:
        enrol(p, stripe_fake, client)
    first = selectors.property_autopay(property=building)
    assert [e.unit.number for e in first.enrolments] == ["101", "102", "103", "104"]
    assert first.enrolled == 4 and not first.enrolments.has_next


def test_a_manager_stops_a_units_autopay_with_a_reason_the_resident_receives(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    p = payer(building)
    enrolment = enrol(p, stripe_fake, client)
    invoice = next_invoice(p, days=5)
    run_autopay(now=at(today_in(building.timezone)))
    manager = _manager(building, language="en")
    url = f"/p/{building.pk}/payments/autopay/{enrolment.pk}/stop/"
    confirm = manager.get(url).content.decode()
    assert "Stop the automatic payment of unit 101?" in confirm
    assert AutopayEnrolment.objects.get().status == "active"  # asking is not stopping

    empty = manager.post(url, {"reason": "   "})
    assert empty.status_code == 200
    assert "Enter the reason: the resident receives it by email." in empty.content.decode()
    assert AutopayEnrolment.objects.get().status == "active"
    long = "x" * 501
    kept = manager.post(url, {"reason": long}).content.decode()
    assert long in kept and AutopayEnrolment.objects.get().status == "active"

    done = manager.post(url, {"reason": "Unité vendue le 1er décembre"}, follow=True)
    assert (
        "Automatic payment of unit 101 is stopped; the resident was told by email." in done.content.decode()
    )
    assert AutopayEnrolment.objects.get().status == "stopped"
    assert AutopayDebit.objects.get(invoice=invoice).status == "cancelled"
    event = AuditEvent.objects.get(verb="autopay.stopped")
    assert event.after is not None and event.after["reason"] == "Unité vendue le 1er décembre"
    email = EmailMessage.objects.get(kind="autopay_stopped_by_manager")
    assert email.to_email == "marie@example.com"
    assert "La gestion de Les Jardins du Parc a arrêté le paiement automatique" in email.body_text
    assert "Unité vendue le 1er décembre" in email.body_text
    run_autopay(now=at(invoice.due_date + dt.timedelta(days=10)))
    assert AutopayDebit.objects.get(invoice=invoice).payment_id is None

    again = manager.post(url, {"reason": "encore"}).content.decode()
    assert "Automatic payment is already stopped." in again
    assert AuditEvent.objects.filter(verb="autopay.stopped").count() == 1


def test_only_staff_who_record_payments_stop_and_only_their_propertys(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    p = payer(building)
    enrolment = enrol(p, stripe_fake, client)
    board = member(building, Role.BOARD, email="board@example.com")
    with pytest.raises(PermissionDenied):
        autopay.stop_enrolment_for_unit(actor=board, property=building, enrolment_id=enrolment.pk, reason="x")
    assert (
        _manager(building, Role.BOARD)
        .get(f"/p/{building.pk}/payments/autopay/{enrolment.pk}/stop/")
        .status_code
        == 403
    )
    other = PropertyFactory()
    stranger = member(other, Role.ADMIN, email="admin@other.example.com")
    with pytest.raises(NotFound):
        autopay.stop_enrolment_for_unit(actor=stranger, property=other, enrolment_id=enrolment.pk, reason="x")
    treasurer = member(building, Role.TREASURER, email="tresorier@example.com")
    with pytest.raises(ValidationError):
        autopay.stop_enrolment_for_unit(
            actor=treasurer, property=building, enrolment_id=enrolment.pk, reason=""
        )
    autopay.stop_enrolment_for_unit(
        actor=treasurer, property=building, enrolment_id=enrolment.pk, reason="Demande"
    )
    with pytest.raises(InvalidTransition):
        autopay.stop_enrolment_for_unit(
            actor=treasurer, property=building, enrolment_id=enrolment.pk, reason="x"
        )


def test_the_unit_page_offers_to_stop_and_links_to_every_unit(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    p = payer(building)
    enrolment = enrol(p, stripe_fake, client)
    page = _manager(building).get(f"/p/{building.pk}/units/{p.invoice.unit_id}/").content.decode()
    assert f"/p/{building.pk}/payments/autopay/{enrolment.pk}/stop/" in page
    assert f'href="/p/{building.pk}/payments/autopay/"' in page
    board = (
        _manager(building, Role.BOARD).get(f"/p/{building.pk}/units/{p.invoice.unit_id}/").content.decode()
    )
    assert "/stop/" not in board
    payments = _manager(building).get(f"/p/{building.pk}/payments/").content.decode()
    assert f'href="/p/{building.pk}/payments/autopay/"' in payments


def test_the_api_lists_enrolled_units_with_their_next_and_latest_debit(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    first = payer(building, number=1)
    enrol(first, stripe_fake, client, number=PAD_ACCOUNT_FAILS)
    invoice = next_invoice(first, days=12, amount="250.00", number=20)
    payer(building, number=2, email="paul@example.com")  # not enrolled
    run_autopay(now=at(invoice.due_date - dt.timedelta(days=10)))
    manager = member(building, Role.MANAGER, email="gestion@example.com")
    api = ApiClient(token_for(manager))
    answer = api.get(f"/properties/{building.pk}/autopay")
    assert answer.status_code == 200, answer.content
    (item,) = answer.json()["items"]
    assert item["unit"] == {"id": first.invoice.unit_id, "number": "101"}
    assert item["enrolled_by"] == "marie@example.com" and item["method"] == "acss_debit"
    assert (item["next_debit_on"], item["next_debit_amount"]) == (invoice.due_date.isoformat(), "250.00")
    assert item["last_debit_state"] == "scheduled" and item["include_open"] is False

    run_autopay(now=at(invoice.due_date))
    for event in stripe_fake.fake.events:
        post_event(client, event)
    (item,) = api.get(f"/properties/{building.pk}/autopay").json()["items"]
    assert item["next_debit_on"] is None
    assert (item["last_debit_state"], item["last_debit_failure"]) == ("failed", "insufficient_funds")
    # Another property's list does not exist for this token.
    other = PropertyFactory(name="Ailleurs")
    assert api.get(f"/properties/{other.pk}/autopay").status_code == 404


def test_each_enrolled_unit_shows_the_state_of_its_latest_debit(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    first = payer(building, number=1)
    enrol(first, stripe_fake, client, number=PAD_ACCOUNT_FAILS)
    invoice = next_invoice(first, days=12, amount="250.00", number=20)
    url = f"/p/{building.pk}/payments/autopay/"
    manager = _manager(building, language="en")
    run_autopay(now=at(invoice.due_date - dt.timedelta(days=10)))
    run_autopay(now=at(invoice.due_date))
    for event in stripe_fake.fake.events:
        post_event(client, event)
    page = manager.get(url).content.decode()
    row = page.split('id="autopay-enrolments"', 1)[1].split("</tbody>", 1)[0]
    assert "Failed" in row and "Insufficient funds" in row  # the unit's own latest debit, in its row
    card = page.split('id="autopay-enrolments-phone"', 1)[1].split("</ul>", 1)[0]
    assert "Failed" in card and "insufficient funds" in card  # the same on a phone
