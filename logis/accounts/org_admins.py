"""« Organisation »: who administers a syndicate or a management firm, and its name.

An organization's administrators may create its properties. Another administrator is chosen among the
people who already hold a role on one of its properties (they have an account and the organization
already trusts them): inviting someone new goes through a property's « Membres » page first. An
organization always keeps at least one administrator. Every change is audited on the organization.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from logis.accounts.models import Organization, OrganizationMembership, User
from logis.accounts.organizations import clean_organization
from logis.core import audit
from logis.core.audit import Verb
from logis.core.errors import InvalidTransition, NotFound, ValidationError
from logis.core.models import AuditEvent
from logis.core.permissions import Role

HISTORY_SHOWN = 20


@dataclass(frozen=True)
class OrganizationPage:
    organization: Organization
    administrators: list[OrganizationMembership]
    candidates: list[User]
    property_count: int
    history: list[AuditEvent]


def _is_admin(user: User, organization_id: int) -> bool:
    return OrganizationMembership.objects.filter(
        user_id=user.pk, organization_id=organization_id, role=Role.ADMIN
    ).exists()


def _locked(actor: User, organization_id: int) -> Organization:
    organization = Organization.objects.select_for_update().filter(pk=organization_id).first()
    if organization is None or not actor.is_authenticated or not _is_admin(actor, organization_id):
        raise NotFound(_("This organization does not exist."))
    return organization


def _candidates(organization: Organization) -> list[User]:
    return list(
        User.objects.filter(memberships__property__organization=organization, is_active=True)
        .exclude(organization_memberships__organization=organization)
        .distinct()
        .order_by("email")
    )


def organization_page(*, user: User, organization_id: int) -> OrganizationPage:
    """What « Organisation » shows; only to its administrators (others: not found)."""
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None or not user.is_authenticated or not _is_admin(user, organization_id):
        raise NotFound(_("This organization does not exist."))
    administrators = list(
        OrganizationMembership.objects.filter(organization=organization, role=Role.ADMIN)
        .select_related("user")
        .order_by("user__email")
    )
    history = list(
        AuditEvent.objects.filter(object_type="accounts.organization", object_id=str(organization.pk))
        .select_related("actor")
        .order_by("-created_at", "-pk")[:HISTORY_SHOWN]
    )
    return OrganizationPage(
        organization=organization,
        administrators=administrators,
        candidates=_candidates(organization),
        property_count=organization.properties.count(),
        history=history,
    )


def rename_organization(*, actor: User, organization_id: int, name: str, kind: str) -> Organization:
    name, kind = clean_organization(name, kind)
    with transaction.atomic():
        organization = _locked(actor, organization_id)
        before = audit.snapshot(organization, ["name", "kind"])
        if before == {"name": name, "kind": kind}:
            return organization
        organization.name, organization.kind = name, kind
        organization.save(update_fields=["name", "kind"])
        audit.record(
            actor, Verb.ORGANIZATION_UPDATED, organization, before=before, after={"name": name, "kind": kind}
        )
        return organization


def add_organization_admin(
    *, actor: User, organization_id: int, user_id: int | None
) -> OrganizationMembership:
    with transaction.atomic():
        organization = _locked(actor, organization_id)
        chosen = next((u for u in _candidates(organization) if u.pk == user_id), None)
        if chosen is None:
            raise ValidationError(
                {"user": _("Choose someone who already has a role on one of the organization's properties.")}
            )
        membership = OrganizationMembership.objects.create(
            user=chosen, organization=organization, role=Role.ADMIN
        )
        audit.record(
            actor, Verb.ORGANIZATION_ADMIN_ADDED, organization, after={"administrator": chosen.email}
        )
        return membership


def remove_organization_admin(*, actor: User, organization_id: int, membership_id: int) -> None:
    with transaction.atomic():
        organization = _locked(actor, organization_id)
        admins = list(
            OrganizationMembership.objects.select_for_update()
            .filter(organization=organization, role=Role.ADMIN)
            .select_related("user")
        )
        membership = next((m for m in admins if m.pk == membership_id), None)
        if membership is None:
            raise NotFound(_("This administrator does not exist."))
        if len(admins) == 1:
            raise InvalidTransition(_("An organization keeps at least one administrator."))
        membership.delete()
        audit.record(
            actor,
            Verb.ORGANIZATION_ADMIN_REMOVED,
            organization,
            before={"administrator": membership.user.email},
        )
