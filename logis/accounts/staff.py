"""Staff invitations (Paramètres > Membres): anyone invited by email with a role. A person who has an
account gets the role at once; anyone else receives a single-use link, valid 7 days, to create their
account, which lands them on the property. Pending invitations can be resent (a new link; the old one
stops working) or revoked. Every step is audited; the email goes through the outbox, in the language the
inviter chose for the invitee. Tokens are handled as for residents' invitations (only their hash stored).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from logis.accounts.models import Membership, StaffInvitation, User
from logis.accounts.services import INVITATION_VALIDITY, InvitationState, hash_token
from logis.core import audit
from logis.core.audit import Verb
from logis.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from logis.core.language import Language
from logis.core.links import absolute_url
from logis.core.permissions import Action, Role, require
from logis.notifications.outbox import queue_email
from logis.properties.models import Property
from logis.properties.setup import logo_url

STAFF_INVITATION_EMAIL = "staff_invitation"


@dataclass(frozen=True)
class StaffInviteResult:
    """Either a membership given at once (the person has an account) or an invitation sent."""

    membership: Membership | None = None
    invitation: StaffInvitation | None = None
    token: str = ""
    url: str = ""


def staff_invitation_url(token: str) -> str:
    return absolute_url(reverse("accounts:staff_invitation", args=[token]))


def staff_invitation_state(invitation: StaffInvitation, *, now: dt.datetime | None = None) -> InvitationState:
    now = now or timezone.now()
    if invitation.accepted_at is not None:
        return InvitationState.USED
    if invitation.revoked_at is not None:
        return InvitationState.REVOKED
    if invitation.expires_at <= now:
        return InvitationState.EXPIRED
    return InvitationState.VALID


def pending_invitations(*, property: Property) -> list[StaffInvitation]:
    """Invitations neither accepted nor revoked (expired ones too: they can be resent)."""
    return list(
        StaffInvitation.objects.filter(property=property, accepted_at__isnull=True, revoked_at__isnull=True)
        .select_related("created_by")
        .order_by("email", "pk")
    )


def _clean(email: str, role: str, language: str) -> tuple[str, str, str]:
    email = (email or "").strip().lower()
    errors: dict[str, str] = {}
    if not email:
        errors["email"] = _("Enter the email address of the person.")
    else:
        try:
            validate_email(email)
        except DjangoValidationError:
            errors["email"] = _("Enter a valid email address, such as name@example.com.")
    if role not in Role.values:
        errors["role"] = _("Choose a role.")
    if language not in Language.values:
        errors["language"] = _("Choose French or English.")
    if errors:
        raise ValidationError(errors)
    return email, role, language


def _send(invitation: StaffInvitation, actor: User, token: str) -> str:
    prop = invitation.property
    url = staff_invitation_url(token)
    language = invitation.language
    with translation.override(language):
        subject = _("Invitation to manage %(property)s on Logis") % {"property": " ".join(prop.name.split())}
        local_expiry = timezone.localtime(invitation.expires_at, ZoneInfo(prop.timezone))
        context = {
            "subject": subject,
            "language": language,
            "inviter": actor.get_full_name() or actor.email,
            "property_name": prop.name,
            "role": str(Role(invitation.role).label).lower(),
            "link": url,
            "logo_url": logo_url(prop),
            "expires": formats.date_format(
                local_expiry, "j F Y, H:i" if language == "fr" else "F j, Y, g:i A"
            ),
        }
        text = render_to_string("accounts/email/staff_invitation.txt", context).strip() + "\n"
        html = render_to_string("accounts/email/staff_invitation.html", context)
    queue_email(
        key=f"staff-invitation:{invitation.pk}:{invitation.token_hash[:16]}",
        kind=STAFF_INVITATION_EMAIL,
        to=invitation.email,
        subject=subject,
        text=text,
        html=html,
        language=language,
        property=prop,
    )
    return url


def invite_member(
    *, actor: User, property: Property, email: str, role: str, language: str = ""
) -> StaffInviteResult:
    """Give ``email`` a role on the property: at once when the person has an account, otherwise by an
    emailed single-use link (valid 7 days) to create it. One pending invitation per address."""
    email, role, language = _clean(email, role, language or actor.language)
    with transaction.atomic():
        prop = Property.objects.select_for_update().get(pk=property.pk)
        require(actor, Action.MANAGE_ROLES, prop)
        user = User.objects.filter(email__iexact=email).first()
        if user is not None:
            if Membership.objects.filter(property=prop, user=user).exists():
                raise ValidationError({"email": _("This user already has a role on this property.")})
            membership = Membership.objects.create(property=prop, user=user, role=role)
            audit.record(
                actor, Verb.MEMBER_ADDED, membership, property=prop, after={"user": user.email, "role": role}
            )
            return StaffInviteResult(membership=membership)
        if StaffInvitation.objects.filter(
            property=prop, email=email, accepted_at__isnull=True, revoked_at__isnull=True
        ).exists():
            raise ValidationError(
                {"email": _("%(email)s is already invited: resend the invitation below.") % {"email": email}}
            )
        token = secrets.token_urlsafe(32)
        now = timezone.now()
        invitation = StaffInvitation.objects.create(
            property=prop,
            email=email,
            role=role,
            language=language,
            token_hash=hash_token(token),
            created_by=actor,
            sent_at=now,
            expires_at=now + INVITATION_VALIDITY,
        )
        url = _send(invitation, actor, token)
        audit.record(
            actor,
            Verb.MEMBER_INVITED,
            invitation,
            property=prop,
            after={"email": email, "role": role, "language": language, "expires_at": invitation.expires_at},
        )
        return StaffInviteResult(invitation=invitation, token=token, url=url)


def _lock_pending(prop: Property, invitation_id: int) -> StaffInvitation:
    invitation = (
        StaffInvitation.objects.select_for_update()
        .filter(pk=invitation_id, property=prop, accepted_at__isnull=True, revoked_at__isnull=True)
        .first()
    )
    if invitation is None:
        raise NotFound(_("This invitation is no longer pending."))
    return invitation


def resend_staff_invitation(*, actor: User, property: Property, invitation_id: int) -> StaffInviteResult:
    """A new link, valid 7 days from now; the previous link stops working."""
    with transaction.atomic():
        prop = Property.objects.select_for_update().get(pk=property.pk)
        require(actor, Action.MANAGE_ROLES, prop)
        invitation = _lock_pending(prop, invitation_id)
        token = secrets.token_urlsafe(32)
        now = timezone.now()
        invitation.token_hash = hash_token(token)
        invitation.sent_at = now
        invitation.expires_at = now + INVITATION_VALIDITY
        invitation.save(update_fields=["token_hash", "sent_at", "expires_at"])
        url = _send(invitation, actor, token)
        audit.record(
            actor,
            Verb.MEMBER_INVITATION_RESENT,
            invitation,
            property=prop,
            after={"email": invitation.email, "expires_at": invitation.expires_at},
        )
        return StaffInviteResult(invitation=invitation, token=token, url=url)


def revoke_staff_invitation(*, actor: User, property: Property, invitation_id: int) -> StaffInvitation:
    """The link stops working; the invitation stays in the audit log."""
    with transaction.atomic():
        prop = Property.objects.select_for_update().get(pk=property.pk)
        require(actor, Action.MANAGE_ROLES, prop)
        invitation = _lock_pending(prop, invitation_id)
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit.record(
            actor,
            Verb.MEMBER_INVITATION_REVOKED,
            invitation,
            property=prop,
            before={"email": invitation.email, "role": invitation.role},
        )
        return invitation


def find_staff_invitation(*, token: str) -> StaffInvitation | None:
    if not token or len(token) > 128:
        return None
    return StaffInvitation.objects.select_related("property").filter(token_hash=hash_token(token)).first()


def _locked_valid(token: str) -> StaffInvitation:
    found = find_staff_invitation(token=token)
    if found is None:
        raise NotFound(_("This invitation link is not valid."))
    invitation = (
        StaffInvitation.objects.select_for_update(of=("self",)).select_related("property").get(pk=found.pk)
    )
    if staff_invitation_state(invitation) != InvitationState.VALID:
        raise InvalidTransition(_("This invitation link can no longer be used."))
    return invitation


def _join(invitation: StaffInvitation, user: User) -> Membership:
    prop = Property.objects.select_for_update().get(pk=invitation.property_id)
    membership = Membership.objects.filter(property=prop, user=user).first()
    if membership is None:
        membership = Membership.objects.create(property=prop, user=user, role=invitation.role)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit.record(
        user,
        Verb.MEMBER_INVITATION_ACCEPTED,
        invitation,
        property=prop,
        after={"user": user.email, "role": membership.role},
    )
    return membership


def accept_staff_invitation(*, token: str, password: str, first_name: str = "", last_name: str = "") -> User:
    """A new account for the invited address (confirmed: the link reached it), with the role."""
    with transaction.atomic():
        invitation = _locked_valid(token)
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise InvalidTransition(_("An account already uses this email address: sign in to accept."))
        user = User(
            email=invitation.email,
            first_name=(first_name or "").strip()[:150],
            last_name=(last_name or "").strip()[:150],
            language=invitation.language,
        )
        try:
            password_validation.validate_password(password, user)
        except DjangoValidationError as exc:
            raise ValidationError({"password1": list(exc.messages)}) from None
        user.set_password(password)
        user.save()
        _join(invitation, user)
        return user


def accept_staff_invitation_as(*, token: str, user: User) -> Membership:
    """A signed-in account with the invited address takes the role."""
    with transaction.atomic():
        invitation = _locked_valid(token)
        if user.email.lower() != invitation.email.lower():
            raise PermissionDenied(_("This invitation was sent to another email address."))
        return _join(invitation, user)
