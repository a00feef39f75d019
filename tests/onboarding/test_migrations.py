"""The onboarding migrations: existing properties each join an organization run by their administrators,
and existing accounts keep signing in (their addresses recorded as confirmed)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [
    ("properties", "0004_onboarding_property_setup"),
    ("accounts", "0004_onboarding_organizations_and_staff_invitations"),
]
AFTER = [
    ("properties", "0005_onboarding_existing_properties_into_organizations"),
    ("accounts", "0005_onboarding_existing_emails_verified"),
]


@pytest.mark.slow
def test_existing_properties_and_accounts_are_carried_over() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    User = apps.get_model("accounts", "User")
    Property = apps.get_model("properties", "Property")
    Membership = apps.get_model("accounts", "Membership")
    admin = User.objects.create(email="admin@example.com", password="x")
    manager = User.objects.create(email="gestion@example.com", password="x")
    prop = Property.objects.create(name="Les Jardins du Parc")
    Membership.objects.create(user=admin, property=prop, role="admin")
    Membership.objects.create(user=manager, property=prop, role="manager")

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    prop = apps.get_model("properties", "Property").objects.get(pk=prop.pk)
    assert prop.organization.name == "Les Jardins du Parc"
    admins = apps.get_model("accounts", "OrganizationMembership").objects.filter(
        organization=prop.organization
    )
    assert [m.user_id for m in admins] == [admin.pk]
    emails = apps.get_model("account", "EmailAddress").objects.order_by("email")
    assert [(e.email, e.verified) for e in emails] == [
        ("admin@example.com", True),
        ("gestion@example.com", True),
    ]

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
