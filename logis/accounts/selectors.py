"""Reads of the accounts app: where each resident stands with their portal invitation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils import timezone

from logis.accounts.models import Invitation, Membership, User

if TYPE_CHECKING:
    from logis.properties.models import Property, Resident


@dataclass(frozen=True)
class PortalAccess:
    """``active`` (has a login), ``invited`` (a valid link is out), ``expired``, or ``none``."""

    state: str
    invitation: Invitation | None = None

    @property
    def sent_at(self) -> dt.datetime | None:
        return self.invitation.created_at if self.invitation else None

    @property
    def expires_at(self) -> dt.datetime | None:
        return self.invitation.expires_at if self.invitation else None


def latest_invitations(resident_ids: Iterable[int]) -> dict[int, Invitation]:
    """The newest invitation of each resident, in one query."""
    latest: dict[int, Invitation] = {}
    ids = list(resident_ids)
    if not ids:
        return latest
    for invitation in Invitation.objects.filter(resident_id__in=ids).order_by(
        "resident_id", "-created_at", "-id"
    ):
        latest.setdefault(invitation.resident_id, invitation)
    return latest


def portal_access(
    *, has_user: bool, invitation: Invitation | None, now: dt.datetime | None = None
) -> PortalAccess:
    if has_user:
        return PortalAccess("active", invitation)
    if invitation is None or invitation.accepted_at is not None or invitation.revoked_at is not None:
        return PortalAccess("none", None)
    if invitation.expires_at <= (now or timezone.now()):
        return PortalAccess("expired", invitation)
    return PortalAccess("invited", invitation)


def annotate_portal_access(residents: Iterable[Resident]) -> None:
    """Set ``portal_access`` on each resident of a page (one query for the whole page)."""
    rows = list(residents)
    latest = latest_invitations(r.pk for r in rows)
    now = timezone.now()
    for r in rows:
        r.portal_access = portal_access(  # type: ignore[attr-defined]
            has_user=r.user_id is not None, invitation=latest.get(r.pk), now=now
        )


# --- Two-factor authentication --------------------------------------------------------------------


def has_two_factor(user: User) -> bool:
    """The user signs in with a code from an authenticator app (TOTP) after their password."""
    from allauth.mfa.models import Authenticator

    if not user.is_authenticated:
        return False
    return Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()


def two_factor_required_by(user: User) -> list[Property]:
    """The properties on which the user holds a staff role and that require two-factor authentication."""
    if not user.is_authenticated:
        return []
    # Through the memberships (accounts' own model): accounts sits below properties (decision 0020).
    memberships = (
        Membership.objects.filter(user=user, property__require_staff_mfa=True)
        .select_related("property")
        .order_by("property__name", "property__pk")
    )
    return [m.property for m in memberships]


def must_set_up_two_factor(user: User, property: Property) -> bool:
    """True while ``property`` requires two-factor authentication of its staff and ``user`` has none yet."""
    return bool(property.require_staff_mfa) and not has_two_factor(user)
