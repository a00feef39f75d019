"""Roles on a property and what each may do. Checked by services (``require``) and views alike."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Union

from django.db import models
from django.utils.translation import gettext_lazy as _

from logis.core.errors import PermissionDenied

if TYPE_CHECKING:
    from logis.accounts.models import User
    from logis.properties.models import Property


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    MANAGER = "manager", _("Manager")
    TREASURER = "treasurer", _("Treasurer")
    BOARD = "board", _("Board member")


class Action(StrEnum):
    VIEW_PROPERTY = "view_property"
    MANAGE_UNITS = "manage_units"
    MANAGE_RESIDENTS = "manage_residents"
    CREATE_INVOICE = "create_invoice"
    EDIT_INVOICE = "edit_invoice"
    PUBLISH_INVOICE = "publish_invoice"
    VOID_INVOICE = "void_invoice"
    RECORD_PAYMENT = "record_payment"
    VIEW_REPORTS = "view_reports"
    MANAGE_PAYMENT_SETTINGS = "manage_payment_settings"
    MANAGE_SECURITY_SETTINGS = "manage_security_settings"
    MANAGE_ROLES = "manage_roles"
    MANAGE_PROPERTY = "manage_property"
    VIEW_AUDIT = "view_audit"
    # Funds, charge categories and tax registration numbers (Paramètres > Fonds et catégories).
    MANAGE_FINANCES = "manage_finances"


_INVOICING = {
    Action.CREATE_INVOICE,
    Action.EDIT_INVOICE,
    Action.PUBLISH_INVOICE,
    Action.VOID_INVOICE,
    Action.RECORD_PAYMENT,
}

ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.ADMIN: frozenset(Action),
    Role.MANAGER: frozenset(
        {Action.VIEW_PROPERTY, Action.MANAGE_UNITS, Action.MANAGE_RESIDENTS, Action.VIEW_REPORTS} | _INVOICING
    ),
    Role.TREASURER: frozenset(
        {Action.VIEW_PROPERTY, Action.VIEW_REPORTS, Action.MANAGE_FINANCES} | _INVOICING
    ),
    Role.BOARD: frozenset({Action.VIEW_PROPERTY, Action.VIEW_REPORTS}),
}


class SystemActor:
    """Logis acting on its own (scheduled jobs: recurring dues, late fees). May do every action; its
    audit events have no user. Never reachable from a request: only code passes ``SYSTEM``."""

    is_authenticated = False
    pk = None

    def __str__(self) -> str:
        return "Logis"


SYSTEM = SystemActor()
Actor = Union["User", SystemActor]


def user_or_none(actor: Actor) -> User | None:
    """The user to store in a ``*_by`` column: None for the system."""
    return None if isinstance(actor, SystemActor) else actor


def role_on(user: User, property: Property) -> str | None:
    """The user's role on the property, or None. The lookup lives next to ``Membership``
    (``User.role_on``): ``core`` is the bottom layer and queries no model of the apps above it."""
    if not user.is_authenticated:
        return None
    return user.role_on(property)


def can(user: Actor, action: Action, property: Property) -> bool:
    if isinstance(user, SystemActor):
        return True
    role = role_on(user, property)
    return role is not None and action in ROLE_ACTIONS[role]


def require(user: Actor, action: Action, property: Property) -> None:
    """Raise PermissionDenied unless the user's role on ``property`` allows ``action``."""
    if not can(user, action, property):
        raise PermissionDenied(_("Your role on this property does not allow this action."))
