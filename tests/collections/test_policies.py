"""Reminder and late-fee policies: validated input, administrators only, read-only for the others."""

from __future__ import annotations

import html
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from logis.accounts.models import User
from logis.collections.models import LateFeeMode, LateFeePolicy, ReminderPolicy
from logis.collections.policies import (
    check_title_pattern,
    parse_offsets,
    parse_rate,
    update_late_fee_policy,
    update_reminder_policy,
)
from logis.core.errors import PermissionDenied, ValidationError
from logis.core.models import AuditEvent
from logis.core.permissions import Role
from logis.properties.models import Property
from tests.factories import member


def settings_url(prop: Property) -> str:
    return reverse("collections:settings", args=[prop.pk])


def form_data(**overrides: str) -> dict[str, str]:
    data = {
        "reminders-enabled": "on",
        "reminders-days_before": "7, 3",
        "reminders-days_after": "1, 10",
        "fees-mode": "fixed",
        "fees-fixed_amount": "25,00",
        "fees-yearly_rate": "",
        "fees-grace_days": "5",
        "fees-title_pattern": "",
        "fees-notify_resident": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- Parsing and validation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("7, 3", [3, 7]), ("3 7 7", [3, 7]), ("", []), ("1;60", [1, 60]), ("5,4,3,2,1", [1, 2, 3, 4, 5])],
)
def test_days_are_small_positive_whole_numbers(text: str, expected: list[int]) -> None:
    assert parse_offsets(text, "days_before") == expected


@pytest.mark.parametrize("text", ["0", "61", "-1", "2.5", "trois", "1,2,3,4,5,6"])
def test_days_out_of_range_or_too_many_are_refused(text: str) -> None:
    with pytest.raises(ValidationError) as exc:
        parse_offsets(text, "days_after")
    assert "days_after" in exc.value.errors


@pytest.mark.parametrize(("text", "expected"), [("18", "18.00"), ("7,5", "7.50"), ("7.25 %", "7.25")])
def test_yearly_rate_is_read_in_french_or_english(text: str, expected: str) -> None:
    assert parse_rate(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["0", "101", "abc", "1.234", "-5", "NaN", "Infinity"])
def test_bad_yearly_rates_are_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_rate(text)


def test_title_pattern_accepts_only_number_and_title() -> None:
    assert check_title_pattern(" Frais — {title} nº {number} ") == "Frais — {title} nº {number}"
    for bad in ("{amount}", "{0}", "{", "Frais {number"):
        with pytest.raises(ValidationError):
            check_title_pattern(bad)


def test_an_enabled_reminder_policy_needs_at_least_one_day(prop: Property, admin_user: User) -> None:
    with pytest.raises(ValidationError) as exc:
        update_reminder_policy(actor=admin_user, property=prop, enabled=True, days_before="", days_after="")
    assert "__all__" in exc.value.errors
    # Disabled without days is fine.
    update_reminder_policy(actor=admin_user, property=prop, enabled=False, days_before="", days_after="")


def test_each_kind_of_fee_needs_its_amount_or_rate(prop: Property, admin_user: User) -> None:
    common = {"actor": admin_user, "property": prop, "enabled": True, "grace_days": 0}
    with pytest.raises(ValidationError) as exc:
        update_late_fee_policy(mode=LateFeeMode.FIXED, fixed_amount=None, yearly_rate=None, **common)  # type: ignore[arg-type]
    assert "fixed_amount" in exc.value.errors
    with pytest.raises(ValidationError) as exc:
        update_late_fee_policy(mode=LateFeeMode.INTEREST, fixed_amount=None, yearly_rate=None, **common)  # type: ignore[arg-type]
    assert "yearly_rate" in exc.value.errors
    with pytest.raises(ValidationError) as exc:
        update_late_fee_policy(
            mode=LateFeeMode.FIXED,
            fixed_amount=Decimal("5"),
            yearly_rate=None,
            **{**common, "grace_days": 91},  # type: ignore[arg-type]
        )
    assert "grace_days" in exc.value.errors


def test_only_administrators_may_change_the_policies(prop: Property, manager: User) -> None:
    with pytest.raises(PermissionDenied):
        update_reminder_policy(actor=manager, property=prop, enabled=True, days_before=[3], days_after=[])
    with pytest.raises(PermissionDenied):
        update_late_fee_policy(
            actor=manager,
            property=prop,
            enabled=True,
            mode=LateFeeMode.FIXED,
            fixed_amount=Decimal("25"),
            yearly_rate=None,
            grace_days=0,
        )
    assert not ReminderPolicy.objects.exists() and not LateFeePolicy.objects.exists()


# --- The settings page ---------------------------------------------------------------------------------


def test_an_administrator_saves_both_policies_from_the_settings_page(
    prop: Property, admin_user: User, admin_client_: Client
) -> None:
    response = admin_client_.post(settings_url(prop), form_data())
    assert response.status_code == 302
    reminders = ReminderPolicy.objects.get(property=prop)
    assert (reminders.enabled, reminders.days_before, reminders.days_after) == (True, [3, 7], [1, 10])
    fees = LateFeePolicy.objects.get(property=prop)
    assert (fees.enabled, fees.mode, fees.fixed_amount, fees.grace_days) == (
        False,
        "fixed",
        Decimal("25.00"),
        5,
    )
    assert AuditEvent.objects.filter(verb="reminder_policy.updated", actor=admin_user).exists()
    page = html.unescape(admin_client_.get(settings_url(prop)).content.decode())
    assert "Les paramètres de rappels et de frais de retard ont été enregistrés." in page
    assert 'value="7, 3"' in page


def test_a_bad_value_is_explained_beside_its_field_and_nothing_is_saved(
    prop: Property, admin_client_: Client
) -> None:
    response = admin_client_.post(
        settings_url(prop),
        form_data(**{"reminders-days_before": "3, 90", "fees-enabled": "on", "fees-mode": "interest"}),
    )
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert "Entrez des nombres entiers de jours entre 1 et 60, séparés par des virgules." in page
    assert 'value="3, 90"' in page  # what was typed is kept
    assert not ReminderPolicy.objects.exists()


def test_interest_without_a_rate_is_refused_beside_the_rate(prop: Property, admin_client_: Client) -> None:
    response = admin_client_.post(
        settings_url(prop),
        form_data(**{"fees-enabled": "on", "fees-mode": "interest", "fees-yearly_rate": ""}),
    )
    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "Entrez le taux d'intérêt annuel." in page
    # Neither policy is saved when one is refused.
    assert not ReminderPolicy.objects.exists() and not LateFeePolicy.objects.exists()


def test_the_settings_page_reads_in_english(prop: Property, admin_user: User, admin_client_: Client) -> None:
    admin_user.language = "en"
    admin_user.save()
    page = html.unescape(admin_client_.get(settings_url(prop)).content.decode())
    assert "Reminders and late fees" in page
    assert "Days before the due date" in page
    assert "Yearly interest rate (%)" in page


def test_board_members_read_the_policies_without_a_save_button(prop: Property) -> None:
    board = member(prop, Role.BOARD)
    ReminderPolicy.objects.create(property=prop, enabled=True, days_before=[3])
    client = Client()
    client.force_login(board)
    page = html.unescape(client.get(settings_url(prop)).content.decode())
    assert "Seuls les administrateurs de la propriété peuvent modifier" in page
    assert "Enregistrer" not in page
    assert 'value="3"' in page and "disabled" in page
    assert client.post(settings_url(prop), form_data()).status_code == 403


def test_the_settings_index_links_to_the_policies(prop: Property, manager_client: Client) -> None:
    page = html.unescape(manager_client.get(reverse("properties:settings", args=[prop.pk])).content.decode())
    assert "Rappels et frais de retard" in page
    assert settings_url(prop) in page
