from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from logis.accounts.models import Invitation, User
from logis.core import audit
from logis.core.audit import Verb
from logis.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from logis.core.links import absolute_url
from logis.core.permissions import Action, require
from logis.core.tokens import hash_token
from logis.notifications.outbox import queue_email
from logis.properties.models import Property, Resident


def set_user_language(*, user: User, language: str) -> User:
    """A user's interface (and email) language."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        before = locked.language
        if before != language:
            locked.language = language
            locked.save(update_fields=["language"])
            audit.record(
                locked,
                Verb.USER_LANGUAGE_CHANGED,
                locked,
                before={"language": before},
                after={"language": language},
            )
        user.language = language
        return locked


# --- Two-factor authentication ----------------------------------------------------------------------

TWO_FACTOR_ENABLED = Verb.USER_TWO_FACTOR_ENABLED
TWO_FACTOR_DISABLED = Verb.USER_TWO_FACTOR_DISABLED
RECOVERY_CODES_REGENERATED = Verb.USER_RECOVERY_CODES_REGENERATED
RECOVERY_CODE_USED = Verb.USER_RECOVERY_CODE_USED
TWO_FACTOR_VERBS = (TWO_FACTOR_ENABLED, TWO_FACTOR_DISABLED, RECOVERY_CODES_REGENERATED, RECOVERY_CODE_USED)


SECURITY_NOTICE_EMAIL = "security_notice"


def record_two_factor_event(*, user: User, verb: str, after: dict[str, object] | None = None) -> int:
    """Audit a change to a person's two-factor authentication, once in each property they hold a staff
    role on (its administrators read it in that property's audit log); with no property when they hold
    none (a resident). The person is told by email, in their language. Returns the number of events.

    A person is one account across properties: the change protects (or exposes) every property they
    manage, so each one's journal says so. Residents are not members: their events stay off every log.
    """
    if verb not in TWO_FACTOR_VERBS:
        raise ValueError(f"not a two-factor audit verb: {verb}")
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        properties: list[Property | None] = list(
            Property.objects.filter(memberships__user=locked).order_by("pk")
        )
        events = [
            audit.record(locked, verb, locked, property=prop, after=after) for prop in properties or [None]
        ]
        _queue_security_notice(user=locked, verb=verb, event_id=events[0].pk, after=after or {})
        return len(events)


def _queue_security_notice(*, user: User, verb: str, event_id: int, after: dict[str, object]) -> None:
    """« Was it you? »: an email to the person whenever their second factor changes or is bypassed, so
    that someone who took over the account cannot quietly turn it off."""
    if not user.email:
        return
    language = user.language if user.language in ("fr", "en") else "fr"
    with translation.override(language):
        subjects: dict[str, str] = {
            TWO_FACTOR_ENABLED: _("Two-factor authentication is on for your Logis account"),
            TWO_FACTOR_DISABLED: _("Two-factor authentication was turned off on your Logis account"),
            RECOVERY_CODES_REGENERATED: _("New recovery codes for your Logis account"),
            RECOVERY_CODE_USED: _("A recovery code was used to sign in to your Logis account"),
        }
        when = timezone.localtime(timezone.now())
        context = {
            "subject": subjects[verb],
            "language": language,
            "name": user.get_full_name() or user.email,
            "verb": verb,
            "when": formats.date_format(when, "j F Y, H:i" if language == "fr" else "F j, Y, g:i A"),
            "codes_left": after.get("recovery_codes_left"),
            "link": absolute_url(reverse("mfa_index")),
        }
        text = render_to_string("accounts/email/security_notice.txt", context).strip() + "\n"
        html = render_to_string("accounts/email/security_notice.html", context)
    queue_email(
        key=f"security:{verb}:{event_id}",
        kind=SECURITY_NOTICE_EMAIL,
        to=user.email,
        subject=str(subjects[verb]),
        text=text,
        html=html,
        language=language,
    )


# --- Invitations ------------------------------------------------------------------------------------

INVITATION_VALIDITY = dt.timedelta(days=7)
INVITATION_EMAIL = "resident_invitation"


class InvitationState(StrEnum):
    VALID = "valid"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True)
class SentInvitation:
    """An invitation just created, with the one copy of its token (only its hash is stored)."""

    invitation: Invitation
    token: str
    url: str


def invitation_url(token: str) -> str:
    return absolute_url(reverse("accounts:invitation", args=[token]))


def invitation_state(invitation: Invitation, *, now: dt.datetime | None = None) -> InvitationState:
    """Used, replaced by a newer one (or the resident's email changed), expired, or still valid."""
    now = now or timezone.now()
    if invitation.accepted_at is not None:
        return InvitationState.USED
    if invitation.revoked_at is not None:
        return InvitationState.REVOKED
    if invitation.email.lower() != (invitation.resident.email or "").strip().lower():
        return InvitationState.REVOKED
    if invitation.expires_at <= now:
        return InvitationState.EXPIRED
    return InvitationState.VALID


def find_invitation(*, token: str) -> Invitation | None:
    """The invitation a link's token opens, whatever its state; None for a token nobody issued."""
    if not token or len(token) > 128:
        return None
    return (
        Invitation.objects.select_related("resident", "resident__property")
        .filter(token_hash=hash_token(token))
        .first()
    )


def _render_invitation(
    *, resident: Resident, url: str, expires_at: dt.datetime, language: str
) -> tuple[str, str, str]:
    with translation.override(language):
        prop = resident.property
        subject = _("Your resident portal — %(property)s") % {"property": " ".join(prop.name.split())}
        local_expiry = timezone.localtime(expires_at, ZoneInfo(prop.timezone))
        context = {
            "subject": subject,
            "language": language,
            "resident_name": resident.name,
            "property_name": prop.name,
            "link": url,
            "expires": formats.date_format(
                local_expiry, "j F Y, H:i" if language == "fr" else "F j, Y, g:i A"
            ),
            "days": INVITATION_VALIDITY.days,
        }
        text = render_to_string("accounts/email/invitation.txt", context).strip() + "\n"
        html = render_to_string("accounts/email/invitation.html", context)
    return subject, text, html


def invite_resident(*, actor: User, property: Property, resident_id: int) -> SentInvitation:
    """Email a resident a single-use link (valid 7 days) to set a password; older links stop working."""
    with transaction.atomic():
        require(actor, Action.MANAGE_RESIDENTS, property)
        resident = Resident.objects.select_for_update().filter(pk=resident_id, property=property).first()
        if resident is None:
            raise NotFound(_("This resident does not exist."))
        email = (resident.email or "").strip().lower()
        if not email:
            raise ValidationError(
                {"email": _("%(name)s has no email address: add one first.") % {"name": resident.name}}
            )
        try:
            validate_email(email)
        except DjangoValidationError:
            raise ValidationError(
                {"email": _("The email address of %(name)s is not valid.") % {"name": resident.name}}
            ) from None
        if resident.user_id is not None:
            raise InvalidTransition(
                _("%(name)s already has access to the resident portal.") % {"name": resident.name}
            )
        now = timezone.now()
        revoked = Invitation.objects.filter(
            resident=resident, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=now)
        token = secrets.token_urlsafe(32)
        invitation = Invitation.objects.create(
            resident=resident,
            email=email,
            token_hash=hash_token(token),
            created_by=actor,
            expires_at=now + INVITATION_VALIDITY,
        )
        url = invitation_url(token)
        language = resident.language if resident.language in ("fr", "en") else property.language
        subject, text, html = _render_invitation(
            resident=resident, url=url, expires_at=invitation.expires_at, language=language
        )
        queue_email(
            key=f"invitation:{invitation.pk}",
            kind=INVITATION_EMAIL,
            to=email,
            subject=subject,
            text=text,
            html=html,
            language=language,
            property=property,
        )
        audit.record(
            actor,
            Verb.RESIDENT_INVITED,
            resident,
            property=property,
            after={"email": email, "expires_at": invitation.expires_at, "previous_links_revoked": revoked},
        )
        return SentInvitation(invitation=invitation, token=token, url=url)


def _locked_valid_invitation(token: str) -> Invitation:
    found = find_invitation(token=token)
    if found is None:
        raise NotFound(_("This invitation link is not valid."))
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("resident", "resident__property")
        .get(pk=found.pk)
    )
    if invitation_state(invitation) != InvitationState.VALID:
        raise InvalidTransition(_("This invitation link can no longer be used."))
    return invitation


def _link_resident(invitation: Invitation, user: User) -> None:
    resident = Resident.objects.select_for_update().get(pk=invitation.resident_id)
    if resident.user_id is not None and resident.user_id != user.pk:
        raise InvalidTransition(_("This resident is already linked to another account."))
    resident.user = user
    resident.save(update_fields=["user"])
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit.record(
        user,
        Verb.RESIDENT_INVITATION_ACCEPTED,
        resident,
        property=resident.property,
        after={"user": user.pk, "email": user.email},
    )


def accept_invitation(*, token: str, password: str) -> User:
    """A new account for the invited email, with the password the person chose, linked to the resident.

    The password must pass the configured validators (``ValidationError`` on ``password``). When an
    account already uses this email, the person signs in and uses ``accept_invitation_as``.
    """
    with transaction.atomic():
        invitation = _locked_valid_invitation(token)
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise InvalidTransition(_("An account already uses this email address: sign in to accept."))
        resident = invitation.resident
        user = User(email=invitation.email, first_name=resident.name[:150], language=resident.language)
        try:
            password_validation.validate_password(password, user)
        except DjangoValidationError as exc:
            raise ValidationError({"password1": list(exc.messages)}) from None
        user.set_password(password)
        user.save()
        _link_resident(invitation, user)
        return user


def accept_invitation_as(*, token: str, user: User) -> User:
    """An existing account (same email as the invitation, signed in) gains access to the resident's units."""
    with transaction.atomic():
        invitation = _locked_valid_invitation(token)
        if user.email.lower() != invitation.email.lower():
            raise PermissionDenied(_("This invitation was sent to another email address."))
        _link_resident(invitation, user)
        return user
