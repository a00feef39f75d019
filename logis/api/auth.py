"""Who a request acts as: the user of its bearer token, with that user's roles on each property."""

from __future__ import annotations

import builtins
import datetime as dt
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from logis.accounts.models import User
from logis.accounts.selectors import must_set_up_two_factor
from logis.api import ratelimit, services
from logis.core.dates import today_in
from logis.core.errors import PermissionDenied
from logis.core.permissions import ROLE_ACTIONS, Action, role_on
from logis.properties.access import get_property_for
from logis.properties.models import Property


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``: a personal API token, usable (not expired, not revoked)."""

    def authenticate(self, request: HttpRequest, token: str) -> User:
        found = services.authenticate(token.strip())
        ratelimit.consume(found.token_hash[:40])
        request.user = found.user
        return found.user


@dataclass(frozen=True)
class PropertyAccess:
    property: Property
    role: str
    user: User

    @builtins.property
    def today(self) -> dt.date:
        """Today in the property's time zone: what "overdue" is measured against."""
        return today_in(self.property.timezone)


def actor(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


def property_for(
    request: HttpRequest, property_id: int, action: Action = Action.VIEW_PROPERTY
) -> PropertyAccess:
    """The property as ``property_view`` loads it for a page: 404 without a role on it (nothing leaks
    across properties), 403 when the role does not allow ``action``."""
    user = actor(request)
    prop: Property = get_property_for(user, property_id)
    role = role_on(user, prop)
    assert role is not None
    if must_set_up_two_factor(user, prop):
        # A token must not be a way around the property's policy: the pages send such a person to
        # « Sécurité » (properties.access.two_factor_gate); the API says why it refuses.
        raise PermissionDenied(
            _(
                "This property requires two-factor authentication of its staff: turn it on in "
                "Security (Sécurité) before using the API on this property."
            )
        )
    if action not in ROLE_ACTIONS[role]:
        raise PermissionDenied()
    return PropertyAccess(property=prop, role=role, user=user)
