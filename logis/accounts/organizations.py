"""Organizations (a syndicate, or a management firm running several): creating one with its first
administrator, and who administers which. Properties belong to an organization; roles on a property
stay ``Membership``."""

from __future__ import annotations

import re

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from logis.accounts.models import Organization, OrganizationKind, OrganizationMembership, User
from logis.core import audit
from logis.core.audit import Verb
from logis.core.errors import NotFound, PermissionDenied, ValidationError
from logis.core.permissions import Role

ORGANIZATION_NAME_MAX = 120
_SPACES = re.compile(r"\s+")


def clean_organization(name: str, kind: str) -> tuple[str, str]:
    errors: dict[str, object] = {}
    name = _SPACES.sub(" ", (name or "").strip())
    if not name:
        errors["organization_name"] = _("Enter the name of your syndicate or firm.")
    elif len(name) > ORGANIZATION_NAME_MAX:
        errors["organization_name"] = _("The name has at most %(max)d characters.") % {
            "max": ORGANIZATION_NAME_MAX
        }
    if kind not in OrganizationKind.values:
        errors["organization_kind"] = _("Choose a syndicate or a management firm.")
    if errors:
        raise ValidationError(errors)  # type: ignore[arg-type]
    return name, kind


def create_organization(*, actor: User, name: str, kind: str = OrganizationKind.SYNDICATE) -> Organization:
    """A new organization whose first administrator is ``actor`` (sign-up, ``manage.py``)."""
    name, kind = clean_organization(name, kind)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=actor.pk).first()
        organization = Organization.objects.create(name=name, kind=kind)
        OrganizationMembership.objects.create(user=actor, organization=organization, role=Role.ADMIN)
        audit.record(
            actor,
            Verb.ORGANIZATION_CREATED,
            organization,
            after={"name": name, "kind": kind, "administrator": actor.email},
        )
        return organization


def organizations_administered(user: User) -> QuerySet[Organization]:
    """The organizations in which ``user`` may create properties."""
    if not user.is_authenticated:
        return Organization.objects.none()
    return Organization.objects.filter(memberships__user=user, memberships__role=Role.ADMIN).order_by(
        "name", "pk"
    )


def administered_organization(*, user: User, organization_id: int | None) -> Organization:
    """The organization (locked) ``user`` administers: the one asked for, or their only one."""
    organizations = organizations_administered(user)
    if organization_id is None:
        ids = list(organizations.values_list("pk", flat=True)[:2])
        if not ids:
            raise PermissionDenied(_("Only an administrator of an organization may create a property."))
        if len(ids) > 1:
            raise ValidationError({"organization": _("Choose the organization the property belongs to.")})
        organization_id = ids[0]
    organization = Organization.objects.select_for_update().filter(pk=organization_id).first()
    if organization is None or not organizations.filter(pk=organization_id).exists():
        raise NotFound(_("This organization does not exist."))
    return organization
