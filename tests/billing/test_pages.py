"""The batch and recurring dues pages: preview then create, publish and void together, permissions,
queries."""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from logis.accounts.models import User
from logis.billing import batches, periods
from logis.billing.models import AmountMode, Batch, RecurringSchedule, RunStatus, ScheduleRun, UnitScope
from logis.core.permissions import Role
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.properties.models import Property, Unit
from tests.billing.conftest import building
from tests.factories import PropertyFactory, UnitFactory, member

pytestmark = pytest.mark.django_db


def text(response: HttpResponse) -> str:
    """The page as a person reads it (entities such as &#x27; decoded)."""
    return html.unescape(response.content.decode())


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(today: dt.date, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "unit_scope": "all",
        "title": "Cotisations mensuelles — janvier 2027",
        "amount_mode": "split",
        "amount": "1 000,01",
        "due_date": (today + dt.timedelta(days=20)).isoformat(),
        "description": "",
        "action": "preview",
    }
    data.update(changes)
    return data


def test_invoices_page_links_to_batches_and_recurring_dues(manager_client: Client, prop: Property) -> None:
    page = manager_client.get(reverse("invoicing:list", args=[prop.pk])).content.decode()
    assert reverse("billing:batch_create", args=[prop.pk]) in page
    assert "Créer des factures en lot" in page and "Frais récurrents" in page


def test_batch_button_hidden_like_create_invoice_for_board_and_when_payments_are_off(prop: Property) -> None:
    board = client_for(member(prop, Role.BOARD))
    url = reverse("invoicing:list", args=[prop.pk])
    assert reverse("billing:batch_create", args=[prop.pk]) not in board.get(url).content.decode()
    off = PropertyFactory(payments_enabled=False)
    mgr = client_for(member(off, Role.MANAGER))
    assert (
        reverse("billing:batch_create", args=[off.pk])
        not in mgr.get(reverse("invoicing:list", args=[off.pk])).content.decode()
    )


def test_preview_shows_each_unit_its_share_amount_and_total_and_creates_nothing(
    manager_client: Client, prop: Property, units: list[Unit], today: dt.date
) -> None:
    url = reverse("billing:batch_create", args=[prop.pk])
    response = manager_client.post(url, _form(today, notify_resident="on"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Aperçu" in page and "Créer les brouillons" in page
    assert "300,01\u00a0$" in page and "1\u00a0000,01\u00a0$" in page
    assert "Aucun résident principal" in page  # unit 112 cannot be emailed
    assert Invoice.objects.count() == 0


def test_create_the_drafts_then_see_the_batch(
    manager_client: Client, prop: Property, units: list[Unit], today: dt.date
) -> None:
    url = reverse("billing:batch_create", args=[prop.pk])
    response = manager_client.post(url, _form(today, action="create"))
    batch = Batch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "billing:batch_detail", args=[prop.pk, batch.pk]
    )
    page = manager_client.get(response["Location"]).content.decode()
    assert "4 factures brouillons ont été créées" in page
    assert "Publier tout" in page and "Annuler tous les brouillons" in page
    assert sum(Invoice.objects.values_list("amount", flat=True)) == Decimal("1000.01")


def test_units_without_share_are_named_beside_the_amount_choice(
    manager_client: Client, prop: Property, units: list[Unit], today: dt.date
) -> None:
    UnitFactory(property=prop, number="PH-9", share=None)
    response = manager_client.post(
        reverse("billing:batch_create", args=[prop.pk]), _form(today, action="create")
    )
    page = text(response)
    assert response.status_code == 200
    assert "Ces unités n'ont pas de quote-part : PH-9" in page
    assert 'value="Cotisations mensuelles — janvier 2027"' in page  # what was typed is kept
    assert Invoice.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount": "abc"}, "Entrez un montant"),
        ({"amount": "0"}, "supérieur à 0"),
        ({"title": ""}, "obligatoire"),
        ({"due_date": "2000-01-01"}, "aujourd'hui ou une date ultérieure"),
        ({"unit_scope": "only"}, "Cochez au moins une unité"),
        ({"unit_scope": "only", "units": ["999999"]}, "Choisissez des unités de cette propriété"),
    ],
)
def test_bad_input_is_explained_beside_the_field_never_a_500(
    manager_client: Client,
    prop: Property,
    units: list[Unit],
    today: dt.date,
    changes: dict[str, object],
    message: str,
) -> None:
    response = manager_client.post(
        reverse("billing:batch_create", args=[prop.pk]), _form(today, action="create", **changes)
    )
    assert response.status_code == 200
    assert message in text(response)
    assert Invoice.objects.count() == 0


def test_the_form_lists_units_as_checkboxes(
    manager_client: Client, prop: Property, units: list[Unit]
) -> None:
    page = manager_client.get(reverse("billing:batch_create", args=[prop.pk])).content.decode()
    for unit in units:
        assert f'name="units" value="{unit.pk}"' in page
    assert "Tout cocher" in page and "Tout décocher" in page


def _batch(manager: User, prop: Property, today: dt.date, notify: bool = True) -> Batch:
    return batches.create_batch(
        actor=manager,
        property=prop,
        unit_scope=UnitScope.ALL,
        title="Cotisation spéciale",
        amount_mode=AmountMode.SAME,
        amount=Decimal("100.00"),
        due_date=today + dt.timedelta(days=5),
        notify_resident=notify,
    )


def test_publish_all_asks_to_confirm_then_publishes_and_queues_emails(
    manager: User, manager_client: Client, prop: Property, units: list[Unit], today: dt.date
) -> None:
    batch = _batch(manager, prop, today)
    url = reverse("billing:batch_publish", args=[prop.pk, batch.pk])
    confirm = manager_client.get(url).content.decode()
    assert "Publier 4 brouillons" in confirm and "3 courriels seront envoyés" in confirm
    response = manager_client.post(url, follow=True)
    page = text(response)
    assert "4 factures ont été publiées. 3 courriels mis en file d'attente." in page
    assert set(Invoice.objects.values_list("status", flat=True)) == {InvoiceStatus.OPEN}
    cards = manager_client.get(reverse("invoicing:list", args=[prop.pk])).context["summary"]
    assert cards.open.count == 4 and cards.open.amount == Decimal("400.00")


def test_void_all_drafts_asks_for_a_reason(
    manager: User, manager_client: Client, prop: Property, units: list[Unit], today: dt.date
) -> None:
    batch = _batch(manager, prop, today)
    url = reverse("billing:batch_void", args=[prop.pk, batch.pk])
    response = manager_client.post(url, {"reason": ""})
    assert response.status_code == 200 and "obligatoire" in response.content.decode()
    response = manager_client.post(url, {"reason": "Montant erroné"}, follow=True)
    assert "4 brouillons ont été annulés." in response.content.decode()
    assert set(Invoice.objects.values_list("status", flat=True)) == {InvoiceStatus.VOID}


def test_board_members_see_batches_and_schedules_but_cannot_change_them(
    manager: User, prop: Property, units: list[Unit], today: dt.date
) -> None:
    batch = _batch(manager, prop, today)
    schedule = RecurringSchedule.objects.create(
        property=prop,
        title_pattern="Cotisations — {mois}",
        amount_mode="fixed",
        amount=Decimal("10.00"),
        day_of_month=1,
        start_month=dt.date(2030, 1, 1),
    )
    board = client_for(member(prop, Role.BOARD))
    detail = board.get(reverse("billing:batch_detail", args=[prop.pk, batch.pk]))
    assert detail.status_code == 200 and "Publier tout" not in detail.content.decode()
    listing = board.get(reverse("billing:schedules", args=[prop.pk]))
    assert listing.status_code == 200 and "Pause" not in listing.content.decode()
    for name, args in [
        ("batch_create", []),
        ("batch_publish", [batch.pk]),
        ("batch_void", [batch.pk]),
        ("schedule_create", []),
        ("schedule_edit", [schedule.pk]),
    ]:
        assert board.get(reverse(f"billing:{name}", args=[prop.pk, *args])).status_code == 403
    assert (
        board.post(
            reverse("billing:schedule_pause", args=[prop.pk, schedule.pk]), {"paused": "1"}
        ).status_code
        == 403
    )


def test_another_propertys_batches_answer_404(
    manager: User, prop: Property, units: list[Unit], today: dt.date
) -> None:
    batch = _batch(manager, prop, today)
    other = PropertyFactory()
    stranger = client_for(member(other, Role.MANAGER))
    assert stranger.get(reverse("billing:batch_detail", args=[other.pk, batch.pk])).status_code == 404
    assert stranger.get(reverse("billing:batch_detail", args=[prop.pk, batch.pk])).status_code == 404


@pytest.mark.parametrize("count", [4, 40])
def test_batch_page_uses_a_constant_number_of_queries(
    manager: User,
    manager_client: Client,
    prop: Property,
    today: dt.date,
    count: int,
    django_assert_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    building(prop, numbers=[str(100 + i) for i in range(count)])
    batch = _batch(manager, prop, today)
    url = reverse("billing:batch_detail", args=[prop.pk, batch.pk])
    manager_client.get(url)
    # session, user, property with the role (decision 0042), batch with counts, invoices.
    with django_assert_num_queries(5):
        response = manager_client.get(url)
    assert response.content.decode().count('id="invoice-') == count


@pytest.mark.parametrize("count", [1, 30])
def test_batch_list_and_schedule_pages_use_a_constant_number_of_queries(
    manager: User,
    manager_client: Client,
    prop: Property,
    units: list[Unit],
    today: dt.date,
    count: int,
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    for _ in range(count):
        _batch(manager, prop, today)
    for i in range(min(count, 5)):
        RecurringSchedule.objects.create(
            property=prop,
            title_pattern=f"Frais {i} — {{mois}}",
            amount_mode="fixed",
            amount=Decimal("10.00"),
            day_of_month=1,
            start_month=dt.date(2030, 1, 1),
        )
    with django_assert_max_num_queries(7):
        assert manager_client.get(reverse("billing:batches", args=[prop.pk])).status_code == 200
    with django_assert_max_num_queries(8):
        assert manager_client.get(reverse("billing:schedules", args=[prop.pk])).status_code == 200


def _schedule_form(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title_pattern": "Cotisations mensuelles — {mois}",
        "amount_mode": "budget",
        "amount": "120 000,00",
        "day_of_month": "1",
        "lead_days": "15",
        "start_month": "2030-01",
        "end_month": "",
        "unit_scope": "all",
        "description": "",
        "auto_publish": "on",
        "notify_resident": "on",
    }
    data.update(changes)
    return data


def test_add_recurring_dues_then_see_upcoming_months_skip_one_and_pause(
    manager: User, manager_client: Client, prop: Property, units: list[Unit], today: dt.date
) -> None:
    start = periods.first_of_month_after(today, 1)
    response = manager_client.post(
        reverse("billing:schedule_create", args=[prop.pk]),
        _schedule_form(start_month=start.strftime("%Y-%m")),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    schedule = RecurringSchedule.objects.get()
    assert schedule.start_month == start and schedule.auto_publish and schedule.amount == Decimal("120000.00")
    page = manager_client.get(reverse("billing:schedules", args=[prop.pk])).content.decode()
    label = periods.month_label(start, "fr")
    assert f"Cotisations mensuelles — {label}" in page
    assert "10\u00a0000,00\u00a0$" in page  # a month of the annual budget
    manager_client.post(
        reverse("billing:schedule_skip", args=[prop.pk, schedule.pk]), {"period": start.isoformat()}
    )
    assert ScheduleRun.objects.get(schedule=schedule, period=start).status == RunStatus.SKIPPED
    page = manager_client.get(reverse("billing:schedules", args=[prop.pk])).content.decode()
    assert "Sautée" in page
    manager_client.post(reverse("billing:schedule_pause", args=[prop.pk, schedule.pk]), {"paused": "1"})
    schedule.refresh_from_db()
    assert schedule.is_paused


def test_schedule_form_names_units_without_share_for_a_budget(
    manager_client: Client, prop: Property, units: list[Unit]
) -> None:
    UnitFactory(property=prop, number="PH-9", share=None)
    response = manager_client.post(reverse("billing:schedule_create", args=[prop.pk]), _schedule_form())
    assert response.status_code == 200
    assert "PH-9" in response.content.decode()
    assert RecurringSchedule.objects.count() == 0


def test_schedule_form_keeps_input_and_explains_errors(
    manager_client: Client, prop: Property, units: list[Unit]
) -> None:
    response = manager_client.post(
        reverse("billing:schedule_create", args=[prop.pk]),
        _schedule_form(day_of_month="32", start_month="2030-05", end_month="2030-01", amount="-3"),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="Cotisations mensuelles — {mois}"' in page
    assert RecurringSchedule.objects.count() == 0
