"""Personal API tokens: create one (shown once), revoke one, and recognise one on a request.

A token acts as its user, with the user's roles on each property; only people who hold a role on a
property (staff) may have one. Creating and revoking write audit events.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from logis.accounts.models import Membership, OrganizationMembership, User
from logis.api.models import ApiToken
from logis.core import audit
from logis.core.audit import Verb
from logis.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from logis.core.tokens import hash_token

TOKEN_PREFIX = "lgs_"  # noqa: S105 (the public start of every token, not a secret)
# What the list shows of a token: "lgs_" and the first 8 characters of its secret part.
PUBLIC_PREFIX_LENGTH = len(TOKEN_PREFIX) + 8
NAME_MAX = 100
# A token longer than this was never issued: refused before any hashing or query.
TOKEN_MAX_LENGTH = 100
# "Last used" is written at most this often per token, so a busy integration costs no write per request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class CreatedToken:
    """A token just created, with the one copy of its secret (only its hash is stored)."""

    token: ApiToken
    secret: str


class TokenRefusal(StrEnum):
    INVALID = "invalid"
    EXPIRED = "expired"
    REVOKED = "revoked"


class TokenRefused(Exception):
    """The token of a request cannot be used; ``reason`` says why."""

    def __init__(self, reason: TokenRefusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


def may_have_tokens(user: User) -> bool:
    """Staff only: a user holding a role on at least one property, or administering an organization (who
    may create its properties through the API). Residents use the portal."""
    return user.is_authenticated and (
        Membership.objects.filter(user=user).exists()
        or OrganizationMembership.objects.filter(user=user).exists()
    )


def expiry_instant(expires_on: dt.date) -> dt.datetime:
    """A token valid "until" a date works through that whole day (Logis's time zone) and stops at midnight."""
    zone = ZoneInfo(settings.TIME_ZONE)
    return dt.datetime.combine(expires_on + dt.timedelta(days=1), dt.time.min, tzinfo=zone)


def create_api_token(
    *, actor: User, name: str, expires_on: dt.date | None = None, now: dt.datetime | None = None
) -> CreatedToken:
    """A new personal API token for ``actor``, valid through ``expires_on`` (None: until revoked)."""
    now = now or timezone.now()
    with transaction.atomic():
        if not may_have_tokens(actor):
            raise PermissionDenied(_("Only people with a role on a property can create API tokens."))
        errors: dict[str, str] = {}
        name = (name or "").strip()
        if not name:
            errors["name"] = _("Enter a name for this token.")
        elif len(name) > NAME_MAX:
            errors["name"] = _("The name may have at most %(max)d characters.") % {"max": NAME_MAX}
        if expires_on is not None and expires_on < timezone.localdate(now):
            errors["expires_on"] = _("The expiry date must be today or later.")
        if errors:
            raise ValidationError(errors)
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken.objects.create(
            user=actor,
            name=name,
            prefix=secret[:PUBLIC_PREFIX_LENGTH],
            token_hash=hash_token(secret),
            expires_at=expiry_instant(expires_on) if expires_on is not None else None,
        )
        audit.record(
            actor,
            Verb.API_TOKEN_CREATED,
            token,
            after={"name": name, "prefix": token.prefix, "expires_at": token.expires_at},
        )
        return CreatedToken(token=token, secret=secret)


def revoke_api_token(*, actor: User, token_id: int, now: dt.datetime | None = None) -> ApiToken:
    """Revoke one of the actor's own tokens: it stops working at once, for good."""
    now = now or timezone.now()
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(pk=token_id, user=actor).first()
        if token is None:
            raise NotFound(_("This API token does not exist."))
        if token.revoked_at is not None:
            raise InvalidTransition(_("This API token was already revoked."))
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
        audit.record(
            actor,
            Verb.API_TOKEN_REVOKED,
            token,
            before={"revoked_at": None},
            after={"name": token.name, "prefix": token.prefix, "revoked_at": now},
        )
        return token


def authenticate(secret: str, *, now: dt.datetime | None = None) -> ApiToken:
    """The usable token whose secret this is, with its user (one query); ``TokenRefused`` otherwise."""
    now = now or timezone.now()
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > TOKEN_MAX_LENGTH or not secret.isascii():
        raise TokenRefused(TokenRefusal.INVALID)
    token = ApiToken.objects.select_related("user").filter(token_hash=hash_token(secret)).first()
    if token is None or not token.user.is_active:
        raise TokenRefused(TokenRefusal.INVALID)
    if token.revoked_at is not None:
        raise TokenRefused(TokenRefusal.REVOKED)
    if token.is_expired(now):
        raise TokenRefused(TokenRefusal.EXPIRED)
    record_token_use(token, now=now)
    return token


def record_token_use(token: ApiToken, *, now: dt.datetime) -> None:
    """Write "last used" when the stored value is older than a minute: no write on most requests, and
    one conditional UPDATE (no lock) otherwise, so concurrent requests never wait on each other."""
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
    ).update(last_used_at=now)
    token.last_used_at = now
