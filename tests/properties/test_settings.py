"""Settings: payments (administrators only), the audit log and members (administrators only)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from logis.accounts.models import Membership, User
from logis.core.errors import PermissionDenied, ValidationError
from logis.core.models import AuditEvent
from logis.core.permissions import Role
from logis.properties import services
from logis.properties.models import Property
from tests.factories import UnitFactory, UserFactory, member


def changes(values: Any) -> dict[str, Any]:
    """An audit event's before/after values (a dict; the JSON field is typed loosely)."""
    assert isinstance(values, dict)
    return values


def payments_url(prop: Property) -> str:
    return reverse("properties:payment_settings", args=[prop.pk])


def test_admin_enables_payments_and_chooses_methods(
    prop: Property, admin_user: User, admin_client_: Client
) -> None:
    prop.payments_enabled = False
    prop.save()
    response = admin_client_.post(
        payments_url(prop), {"payments_enabled": "on", "accepted_methods": ["cheque", "card"]}
    )
    assert response.status_code == 302
    prop.refresh_from_db()
    assert prop.payments_enabled is True
    assert prop.accepted_methods == ["card", "cheque"]
    event = AuditEvent.objects.get(verb="property.payment_settings_changed")
    assert event.actor == admin_user
    assert (
        changes(event.before)["payments_enabled"] is False
        and changes(event.after)["payments_enabled"] is True
    )
    html = admin_client_.get(response["Location"]).content.decode()
    assert "Les paramètres de paiement ont été enregistrés." in html


def test_admin_disables_payments(prop: Property, admin_client_: Client) -> None:
    admin_client_.post(payments_url(prop), {"accepted_methods": ["card"]})
    prop.refresh_from_db()
    assert prop.payments_enabled is False


def test_enabling_payments_needs_a_method(prop: Property, admin_client_: Client) -> None:
    prop.payments_enabled = False
    prop.save()
    response = admin_client_.post(payments_url(prop), {"payments_enabled": "on"})
    assert response.status_code == 200
    assert "Choisissez au moins un mode de paiement" in response.content.decode()
    prop.refresh_from_db()
    assert prop.payments_enabled is False


@pytest.mark.parametrize("role", [Role.MANAGER, Role.TREASURER, Role.BOARD])
def test_only_administrators_change_payment_settings(role: str, prop: Property, client: Client) -> None:
    user = member(prop, role)
    client.force_login(user)
    page = client.get(payments_url(prop))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Seuls les administrateurs" in html
    assert "disabled" in html and "Enregistrer" not in html
    response = client.post(payments_url(prop), {"accepted_methods": ["card"]})
    assert response.status_code == 403
    prop.refresh_from_db()
    assert prop.payments_enabled is True
    with pytest.raises(PermissionDenied):
        services.update_payment_settings(
            actor=user, property=prop, payments_enabled=False, accepted_methods=[]
        )


def test_labels_of_the_payment_settings(prop: Property, admin_client_: Client) -> None:
    html = admin_client_.get(payments_url(prop)).content.decode()
    assert '<label class="form-check-label" for="id_payments_enabled">Activer les paiements</label>' in html
    assert "Modes de paiement acceptés</legend>" in html
    assert "Virement Interac" in html


def test_audit_log_lists_events_newest_first_with_before_and_after(
    prop: Property, admin_user: User, manager: User, admin_client_: Client
) -> None:
    unit = services.create_unit(actor=manager, property=prop, number="101", share="10")
    services.update_unit(actor=manager, property=prop, unit_id=unit.pk, number="101A", share="10")
    html = admin_client_.get(reverse("properties:audit", args=[prop.pk])).content.decode()
    assert html.index("Unité modifiée") < html.index("Unité ajoutée")
    assert manager.email in html
    assert '<del class="text-body-secondary">101</del>' in html and "101A" in html


def test_audit_log_shows_only_this_property(prop: Property, admin_client_: Client) -> None:
    other = member(UnitFactory().property, Role.ADMIN)
    services.create_unit(actor=other, property=other.memberships.get().property, number="ZZZ-9")
    html = admin_client_.get(reverse("properties:audit", args=[prop.pk])).content.decode()
    assert "ZZZ-9" not in html


def test_audit_log_is_paginated(prop: Property, manager: User, admin_client_: Client) -> None:
    for i in range(30):
        services.create_unit(actor=manager, property=prop, number=str(i))
    html = admin_client_.get(reverse("properties:audit", args=[prop.pk])).content.decode()
    assert "Page 1 sur 2" in html


def test_admin_adds_an_existing_user_with_a_role(prop: Property, admin_client_: Client) -> None:
    newcomer = UserFactory(email="nouveau@example.com")
    response = admin_client_.post(
        reverse("properties:members", args=[prop.pk]),
        {"op": "add", "add-email": "Nouveau@Example.com", "add-role": Role.TREASURER},
    )
    assert response.status_code == 302
    assert Membership.objects.get(user_id=newcomer.pk, property=prop).role == Role.TREASURER
    assert AuditEvent.objects.filter(verb="member.added").exists()


def test_adding_an_unknown_email_sends_an_invitation(prop: Property, admin_client_: Client) -> None:
    # Issue 9: a person without an account is invited by email (tests/onboarding/test_staff_invitations.py).
    response = admin_client_.post(
        reverse("properties:members", args=[prop.pk]),
        {"op": "add", "add-email": "inconnu@example.com", "add-role": Role.MANAGER},
    )
    assert response.status_code == 302
    html = admin_client_.get(response["Location"]).content.decode()
    assert "inconnu@example.com" in html and "Invitations en attente" in html


def test_admin_changes_a_role(prop: Property, manager: User, admin_client_: Client) -> None:
    membership = manager.memberships.get(property=prop)
    admin_client_.post(
        reverse("properties:members", args=[prop.pk]),
        {"op": "role", "membership": membership.pk, "role": "board"},
    )
    membership.refresh_from_db()
    assert membership.role == Role.BOARD
    event = AuditEvent.objects.get(verb="member.role_changed")
    assert changes(event.before)["role"] == "manager" and changes(event.after)["role"] == "board"


def test_the_last_administrator_cannot_be_demoted_or_removed(prop: Property, admin_user: User) -> None:
    membership = admin_user.memberships.get(property=prop)
    with pytest.raises(ValidationError):
        services.set_member_role(
            actor=admin_user, property=prop, membership_id=membership.pk, role=Role.MANAGER
        )
    with pytest.raises(ValidationError):
        services.remove_member(actor=admin_user, property=prop, membership_id=membership.pk)
    assert Membership.objects.get(pk=membership.pk).role == Role.ADMIN


def test_the_last_administrator_message_shows_on_the_page(
    prop: Property, admin_user: User, admin_client_: Client
) -> None:
    membership = admin_user.memberships.get(property=prop)
    url = reverse("properties:members", args=[prop.pk])
    response = admin_client_.post(url, {"op": "remove", "membership": membership.pk}, follow=True)
    assert "La propriété doit garder au moins un administrateur." in response.content.decode()


def test_an_administrator_may_leave_when_another_remains(prop: Property, admin_user: User) -> None:
    second = member(prop, Role.ADMIN)
    membership = admin_user.memberships.get(property=prop)
    services.remove_member(actor=second, property=prop, membership_id=membership.pk)
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_managers_cannot_manage_roles(prop: Property, manager: User) -> None:
    with pytest.raises(PermissionDenied):
        services.add_member(actor=manager, property=prop, email=manager.email, role=Role.ADMIN)


def test_settings_index_links_by_role(prop: Property, admin_client_: Client, manager_client: Client) -> None:
    url = reverse("properties:settings", args=[prop.pk])
    admin_html = admin_client_.get(url).content.decode()
    assert "Journal d'audit" in admin_html and "Membres" in admin_html
    manager_html = manager_client.get(url).content.decode()
    assert "Journal d'audit" not in manager_html and "Membres" not in manager_html
    assert reverse("properties:payment_settings", args=[prop.pk]) in manager_html


def test_an_administrator_who_gives_up_the_role_leaves_the_members_page(
    prop: Property, admin_user: User, admin_client_: Client
) -> None:
    member(prop, Role.ADMIN)
    membership = admin_user.memberships.get(property=prop)
    response = admin_client_.post(
        reverse("properties:members", args=[prop.pk]),
        {"op": "role", "membership": membership.pk, "role": "board"},
    )
    assert response["Location"] == reverse("properties:list")


def test_audit_log_reads_invoice_events_with_their_own_labels(
    prop: Property, manager: User, admin_client_: Client
) -> None:
    unit = UnitFactory(property=prop, number="101")
    AuditEvent.objects.create(
        property=prop,
        actor=manager,
        verb="invoice.created",
        object_type="invoicing.invoice",
        object_id="1",
        object_repr="Cotisation",
        after={
            "unit": unit.pk,
            "title": "Cotisation",
            "amount": "1234.50",
            "number": None,
            "status": "draft",
        },
    )
    html = admin_client_.get(reverse("properties:audit", args=[prop.pk])).content.decode()
    assert "Facture créée" in html
    assert "1\u00a0234,50\u00a0$" in html
    assert "Brouillon" in html
    assert "Numéro de facture" not in html  # empty at creation: not listed


def test_members_form_with_a_garbage_id_is_not_a_500(prop: Property, admin_client_: Client) -> None:
    response = admin_client_.post(
        reverse("properties:members", args=[prop.pk]), {"op": "role", "membership": "abc", "role": "board"}
    )
    assert response.status_code == 404


def test_audit_log_shows_the_propertys_local_time_and_translated_values(
    prop: Property, manager: User, admin_client_: Client
) -> None:
    """Issue 14: the journal showed UTC (5 h off) and `status pending → succeeded`, `amount 325.00`."""
    import datetime as dt

    from logis.core import audit

    Property.objects.filter(pk=prop.pk).update(timezone="America/Toronto")
    unit = UnitFactory(property=prop, number="101")
    event = audit.record(
        None,
        "payment.online_succeeded",
        unit,
        property=prop,
        before={"status": "pending"},
        after={"status": "succeeded", "amount": "325.00", "methods": ["card"]},
    )
    AuditEvent.objects.filter(pk=event.pk).update(
        object_type="payments.payment", created_at=dt.datetime(2026, 12, 5, 15, 30, tzinfo=dt.UTC)
    )
    html = admin_client_.get(reverse("properties:audit", args=[prop.pk])).content.decode()
    assert "10:30" in html and "15:30" not in html  # 15:30 UTC is 10:30 in Montréal in December
    assert "Statut" in html and "En attente" in html and "Réussi" in html
    assert "325,00\u00a0$" in html and "325.00" not in html
    assert "status" not in html.split("<tbody>", 1)[1] and "amount" not in html.split("<tbody>", 1)[1]
