"""Services that change properties, units, residents, their links, payment settings and roles.

Each one checks the actor's role on the property, locks what it changes, writes an audit event with
the values before and after, and either does all of it or none of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from logis.accounts.models import Membership, User
from logis.accounts.selectors import has_two_factor
from logis.core import audit
from logis.core.audit import Verb
from logis.core.errors import NotFound, ValidationError
from logis.core.language import Language
from logis.core.money import format_amount
from logis.core.permissions import Action, Role, require
from logis.properties.models import (
    Occupancy,
    OccupancyKind,
    PaymentMethod,
    Property,
    Resident,
    Unit,
)
from logis.properties.rules import clean_resident, clean_unit_number, parse_share

UNIT_FIELDS = ["number", "share"]
RESIDENT_FIELDS = ["name", "email", "phone", "language"]
OCCUPANCY_FIELDS = ["unit", "resident", "kind", "is_primary"]
PAYMENT_SETTINGS_FIELDS = ["payments_enabled", "accepted_methods", "nsf_fee"]
NSF_FEE_MAX = Decimal("1000.00")
SECURITY_SETTINGS_FIELDS = ["require_staff_mfa"]

# --- Units ----------------------------------------------------------------------------------------


def _lock_unit(property: Property, unit_id: int) -> Unit:
    unit = Unit.objects.select_for_update().filter(property=property, pk=unit_id).first()
    if unit is None:
        raise NotFound(_("This unit does not exist."))
    return unit


def _duplicate_number_error(number: str) -> ValidationError:
    return ValidationError(
        {"number": _("Unit %(number)s already exists in this property.") % {"number": number}}
    )


def _save_unit(unit: Unit, number: str) -> None:
    """Save, turning the unique-number race (two people adding "101" at once) into a field error."""
    try:
        with transaction.atomic():
            unit.save()
    except IntegrityError as exc:
        raise _duplicate_number_error(number) from exc


def create_unit(*, actor: User, property: Property, number: str, share: str | Decimal | None = None) -> Unit:
    """Add a unit: its number is unique in the property (whatever the case or spaces)."""
    number = clean_unit_number(number)
    share_value = parse_share(share)
    with transaction.atomic():
        prop = Property.objects.select_for_update().get(pk=property.pk)
        require(actor, Action.MANAGE_UNITS, prop)
        if Unit.objects.filter(property=prop, number__iexact=number).exists():
            raise _duplicate_number_error(number)
        unit = Unit(property=prop, number=number, share=share_value)
        _save_unit(unit, number)
        audit.record(actor, Verb.UNIT_CREATED, unit, property=prop, after=audit.snapshot(unit, UNIT_FIELDS))
        return unit


def update_unit(
    *, actor: User, property: Property, unit_id: int, number: str, share: str | Decimal | None = None
) -> Unit:
    """Change a unit's number or share; the number stays unique in the property."""
    number = clean_unit_number(number)
    share_value = parse_share(share)
    with transaction.atomic():
        require(actor, Action.MANAGE_UNITS, property)
        unit = _lock_unit(property, unit_id)
        before = audit.snapshot(unit, UNIT_FIELDS)
        if Unit.objects.filter(property=property, number__iexact=number).exclude(pk=unit.pk).exists():
            raise _duplicate_number_error(number)
        unit.number = number
        unit.share = share_value
        after = audit.snapshot(unit, UNIT_FIELDS)
        if after != before:
            _save_unit(unit, number)
            audit.record(actor, Verb.UNIT_UPDATED, unit, property=property, before=before, after=after)
        return unit


# --- Residents ------------------------------------------------------------------------------------


def _lock_resident(property: Property, resident_id: int) -> Resident:
    resident = Resident.objects.select_for_update().filter(property=property, pk=resident_id).first()
    if resident is None:
        raise NotFound(_("This resident does not exist."))
    return resident


def create_resident(
    *,
    actor: User,
    property: Property,
    name: str,
    email: str = "",
    phone: str = "",
    language: str = Language.FR,
) -> Resident:
    """Add a resident (name required; email optional but valid)."""
    data = clean_resident(name, email, phone, language)
    with transaction.atomic():
        require(actor, Action.MANAGE_RESIDENTS, property)
        resident = Resident.objects.create(property=property, **data)
        audit.record(
            actor,
            Verb.RESIDENT_CREATED,
            resident,
            property=property,
            after=audit.snapshot(resident, RESIDENT_FIELDS),
        )
        return resident


def create_resident_in_unit(
    *,
    actor: User,
    property: Property,
    name: str,
    email: str = "",
    phone: str = "",
    language: str = Language.FR,
    unit_id: int | None = None,
    kind: str = OccupancyKind.OWNER,
    primary: bool = False,
) -> Resident:
    """Add a resident and, when a unit is given, their first link to it: both are saved, or neither."""
    with transaction.atomic():
        resident = create_resident(
            actor=actor, property=property, name=name, email=email, phone=phone, language=language
        )
        if unit_id:
            link_resident(
                actor=actor,
                property=property,
                resident_id=resident.pk,
                unit_id=unit_id,
                kind=kind,
                primary=primary,
            )
        return resident


def update_resident(
    *,
    actor: User,
    property: Property,
    resident_id: int,
    name: str,
    email: str = "",
    phone: str = "",
    language: str = Language.FR,
) -> Resident:
    """Change a resident's name, email, phone or preferred language."""
    data = clean_resident(name, email, phone, language)
    with transaction.atomic():
        require(actor, Action.MANAGE_RESIDENTS, property)
        resident = _lock_resident(property, resident_id)
        before = audit.snapshot(resident, RESIDENT_FIELDS)
        for key, value in data.items():
            setattr(resident, key, value)
        after = audit.snapshot(resident, RESIDENT_FIELDS)
        if after != before:
            resident.save(update_fields=[*RESIDENT_FIELDS])
            audit.record(
                actor, Verb.RESIDENT_UPDATED, resident, property=property, before=before, after=after
            )
        return resident


def _set_primary_locked(actor: User, property: Property, unit: Unit, occupancy: Occupancy | None) -> None:
    """With the unit row locked: make ``occupancy`` the unit's only primary link (None: no primary)."""
    current = (
        Occupancy.objects.select_for_update()
        .filter(unit=unit, is_primary=True)
        .select_related("resident")
        .first()
    )
    if current is not None and occupancy is not None and current.pk == occupancy.pk:
        return
    before = {
        "primary_resident": current.resident_id if current else None,
        "primary_resident_name": current.resident.name if current else None,
    }
    if current is not None:
        current.is_primary = False
        current.save(update_fields=["is_primary"])
    if occupancy is not None:
        occupancy.is_primary = True
        occupancy.save(update_fields=["is_primary"])
    after = {
        "primary_resident": occupancy.resident_id if occupancy else None,
        "primary_resident_name": occupancy.resident.name if occupancy else None,
    }
    audit.record(actor, Verb.UNIT_PRIMARY_RESIDENT_SET, unit, property=property, before=before, after=after)


def link_resident(
    *,
    actor: User,
    property: Property,
    resident_id: int,
    unit_id: int,
    kind: str = OccupancyKind.OWNER,
    primary: bool = False,
) -> Occupancy:
    """Link a resident to a unit as owner or tenant (once per unit); optionally as its primary resident."""
    if kind not in OccupancyKind.values:
        raise ValidationError({"kind": _("Choose owner or tenant.")})
    with transaction.atomic():
        require(actor, Action.MANAGE_RESIDENTS, property)
        unit = Unit.objects.select_for_update().filter(property=property, pk=unit_id).first()
        if unit is None:
            raise ValidationError({"unit": _("Choose a unit of this property.")})
        resident = _lock_resident(property, resident_id)
        if Occupancy.objects.filter(unit=unit, resident=resident).exists():
            raise ValidationError(
                {"unit": _("%(name)s is already linked to unit %(unit)s.") % {"name": resident, "unit": unit}}
            )
        occupancy = Occupancy.objects.create(unit=unit, resident=resident, kind=kind, is_primary=False)
        audit.record(
            actor,
            Verb.RESIDENT_LINKED,
            occupancy,
            property=property,
            after=audit.snapshot(occupancy, OCCUPANCY_FIELDS),
        )
        if primary:
            _set_primary_locked(actor, property, unit, occupancy)
        return occupancy


def unlink_resident(*, actor: User, property: Property, occupancy_id: int) -> None:
    """Remove a resident's link to a unit; if they were its primary resident, the unit has none after."""
    with transaction.atomic():
        require(actor, Action.MANAGE_RESIDENTS, property)
        occupancy = (
            Occupancy.objects.select_for_update()
            .filter(pk=occupancy_id, unit__property=property)
            .select_related("unit", "resident")
            .first()
        )
        if occupancy is None:
            raise NotFound(_("This link does not exist."))
        Unit.objects.select_for_update().filter(pk=occupancy.unit_id).first()
        before = audit.snapshot(occupancy, OCCUPANCY_FIELDS)
        audit.record(actor, Verb.RESIDENT_UNLINKED, occupancy, property=property, before=before)
        occupancy.delete()


def set_primary_resident(
    *, actor: User, property: Property, unit_id: int, resident_id: int | None
) -> Occupancy | None:
    """Choose the unit's primary resident among those linked to it, or none: never two at once."""
    with transaction.atomic():
        require(actor, Action.MANAGE_RESIDENTS, property)
        unit = _lock_unit(property, unit_id)
        occupancy: Occupancy | None = None
        if resident_id is not None:
            occupancy = (
                Occupancy.objects.select_for_update().filter(unit=unit, resident_id=resident_id).first()
            )
            if occupancy is None:
                raise ValidationError({"resident": _("Choose a resident linked to this unit, or none.")})
        _set_primary_locked(actor, property, unit, occupancy)
        return occupancy


def set_receives_emails(*, actor: User, property: Property, occupancy_id: int, receives: bool) -> Occupancy:
    """A resident of a unit receives its invoice, reminder and receipt emails, or no longer does (the
    primary resident always does)."""
    with transaction.atomic():
        require(actor, Action.MANAGE_RESIDENTS, property)
        occupancy = (
            Occupancy.objects.select_for_update()
            .select_related("unit", "resident")
            .filter(pk=occupancy_id, unit__property=property)
            .first()
        )
        if occupancy is None:
            raise NotFound(_("This resident is not linked to this unit."))
        if occupancy.receives_emails != receives:
            before = {"receives_emails": occupancy.receives_emails}
            occupancy.receives_emails = receives
            occupancy.save(update_fields=["receives_emails"])
            audit.record(
                actor,
                Verb.RESIDENT_EMAILS_CHANGED,
                occupancy.resident,
                property=property,
                before=before,
                after={"receives_emails": receives, "unit": occupancy.unit.number},
            )
        return occupancy


# --- Property settings ----------------------------------------------------------------------------


def update_payment_settings(
    *,
    actor: User,
    property: Property,
    payments_enabled: bool,
    accepted_methods: Iterable[str],
    nsf_fee: Decimal | None = None,
) -> Property:
    """Turn payments on or off, choose the accepted methods and the NSF fee (administrators only);
    ``nsf_fee`` None keeps the current fee."""
    if nsf_fee is not None and not (Decimal("0") <= nsf_fee <= NSF_FEE_MAX):
        raise ValidationError(
            {"nsf_fee": _("Enter a fee between 0 and %(max)s.") % {"max": format_amount(NSF_FEE_MAX)}}
        )
    methods = list(dict.fromkeys(accepted_methods))
    unknown = [m for m in methods if m not in PaymentMethod.values]
    if unknown:
        raise ValidationError({"accepted_methods": _("Choose among the listed payment methods.")})
    if payments_enabled and not methods:
        raise ValidationError(
            {"accepted_methods": _("Choose at least one payment method to enable payments.")}
        )
    # Keep the order of the list people see, whatever order the form sent.
    methods = [m for m in PaymentMethod.values if m in methods]
    with transaction.atomic():
        prop = Property.objects.select_for_update().get(pk=property.pk)
        require(actor, Action.MANAGE_PAYMENT_SETTINGS, prop)
        before = audit.snapshot(prop, PAYMENT_SETTINGS_FIELDS)
        prop.payments_enabled = payments_enabled
        prop.accepted_methods = methods
        if nsf_fee is not None:
            prop.nsf_fee = nsf_fee
        after = audit.snapshot(prop, PAYMENT_SETTINGS_FIELDS)
        if after != before:
            prop.save(update_fields=PAYMENT_SETTINGS_FIELDS)
            audit.record(
                actor, Verb.PROPERTY_PAYMENT_SETTINGS_CHANGED, prop, property=prop, before=before, after=after
            )
        property.payments_enabled = prop.payments_enabled
        property.accepted_methods = prop.accepted_methods
        property.nsf_fee = prop.nsf_fee
        return prop


def update_security_settings(*, actor: User, property: Property, require_staff_mfa: bool) -> Property:
    """Require two-factor authentication of the property's staff, or not (administrators only).

    The administrator who turns it on must use it already: otherwise they would lock themselves out.
    """
    with transaction.atomic():
        prop = Property.objects.select_for_update().get(pk=property.pk)
        require(actor, Action.MANAGE_SECURITY_SETTINGS, prop)
        before = audit.snapshot(prop, SECURITY_SETTINGS_FIELDS)
        if require_staff_mfa and not prop.require_staff_mfa and not has_two_factor(actor):
            raise ValidationError(
                {
                    "require_staff_mfa": _(
                        "Turn on two-factor authentication for your own account first (Security, at the "
                        "top of the page): otherwise you would lose access to this property."
                    )
                }
            )
        prop.require_staff_mfa = require_staff_mfa
        after = audit.snapshot(prop, SECURITY_SETTINGS_FIELDS)
        if after != before:
            prop.save(update_fields=SECURITY_SETTINGS_FIELDS)
            audit.record(
                actor,
                Verb.PROPERTY_SECURITY_SETTINGS_CHANGED,
                prop,
                property=prop,
                before=before,
                after=after,
            )
        property.require_staff_mfa = prop.require_staff_mfa
        return prop


# --- Members and roles ----------------------------------------------------------------------------


def _other_admins(property: Property, membership: Membership) -> bool:
    return Membership.objects.filter(property=property, role=Role.ADMIN).exclude(pk=membership.pk).exists()


def _lock_memberships(property: Property) -> None:
    # Locks every membership of the property, so two administrators cannot demote each other at once.
    list(Membership.objects.select_for_update().filter(property=property).values_list("pk", flat=True))


def set_member_role(*, actor: User, property: Property, membership_id: int, role: str) -> Membership:
    """Change someone's role on the property; the property always keeps an administrator."""
    if role not in Role.values:
        raise ValidationError({"role": _("Choose a role.")})
    with transaction.atomic():
        Property.objects.select_for_update().get(pk=property.pk)
        require(actor, Action.MANAGE_ROLES, property)
        _lock_memberships(property)
        membership = (
            Membership.objects.filter(property=property, pk=membership_id).select_related("user").first()
        )
        if membership is None:
            raise NotFound(_("This member does not exist."))
        if membership.role == role:
            return membership
        if membership.role == Role.ADMIN and not _other_admins(property, membership):
            raise ValidationError({"role": _("The property must keep at least one administrator.")})
        before = {"user": membership.user.email, "role": membership.role}
        membership.role = role
        membership.save(update_fields=["role"])
        audit.record(
            actor,
            Verb.MEMBER_ROLE_CHANGED,
            membership,
            property=property,
            before=before,
            after={"user": membership.user.email, "role": role},
        )
        return membership


def add_member(*, actor: User, property: Property, email: str, role: str) -> Membership:
    """Give an existing user a role on the property (one role per user and property)."""
    email = (email or "").strip().lower()
    errors: dict[str, Any] = {}
    if not email:
        errors["email"] = _("Enter the email address of the user.")
    if role not in Role.values:
        errors["role"] = _("Choose a role.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        Property.objects.select_for_update().get(pk=property.pk)
        require(actor, Action.MANAGE_ROLES, property)
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise ValidationError(
                {"email": _("No user has this email address. They must have an account first.")}
            )
        if Membership.objects.filter(property=property, user=user).exists():
            raise ValidationError({"email": _("This user already has a role on this property.")})
        membership = Membership.objects.create(property=property, user=user, role=role)
        audit.record(
            actor, Verb.MEMBER_ADDED, membership, property=property, after={"user": user.email, "role": role}
        )
        return membership


def remove_member(*, actor: User, property: Property, membership_id: int) -> None:
    """Take away someone's role on the property; never the last administrator."""
    with transaction.atomic():
        Property.objects.select_for_update().get(pk=property.pk)
        require(actor, Action.MANAGE_ROLES, property)
        _lock_memberships(property)
        membership = (
            Membership.objects.filter(property=property, pk=membership_id).select_related("user").first()
        )
        if membership is None:
            raise NotFound(_("This member does not exist."))
        if membership.role == Role.ADMIN and not _other_admins(property, membership):
            raise ValidationError({"role": _("The property must keep at least one administrator.")})
        audit.record(
            actor,
            Verb.MEMBER_REMOVED,
            membership,
            property=property,
            before={"user": membership.user.email, "role": membership.role},
        )
        membership.delete()
