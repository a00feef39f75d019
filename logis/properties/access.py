"""Who may open a property's pages: every property page loads its property through ``property_view``.

It lives here, above ``accounts`` (users, roles) and ``properties`` (the property), not in ``core``: it
loads a ``Property`` and asks the two-factor policy, and ``core`` imports nothing of the apps above it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from logis.accounts.models import User
from logis.accounts.selectors import must_set_up_two_factor
from logis.core import errors
from logis.core.permissions import ROLE_ACTIONS, Action, role_on
from logis.core.views import is_htmx
from logis.properties.models import Property

P = ParamSpec("P")


class PropertyRequest(HttpRequest):
    """A request on a property page: a signed-in user, the property and their role on it, resolved once.
    ``request.user`` is a ``User`` here (never anonymous), so it is the actor services expect."""

    user: User  # type: ignore[assignment]
    property: Property
    role: str
    allowed: frozenset[Action]


def get_property_for(user: object, property_id: int) -> Property:
    """The property if ``user`` holds a role on it; otherwise 404, so nothing leaks across properties."""
    if not isinstance(user, User) or not user.is_authenticated:
        raise Http404
    # One query for the property and the user's role on it (at most one membership per user and property),
    # not one for each: every page of a property starts here.
    prop = (
        Property.objects.filter(pk=property_id, memberships__user=user)
        .annotate(member_role=F("memberships__role"))
        .first()
    )
    if prop is None:
        raise Http404
    user.remember_role(prop.pk, prop.member_role)  # type: ignore[attr-defined]
    return prop


def two_factor_gate(request: PropertyRequest) -> HttpResponse | None:
    """While the property requires two-factor authentication of its staff and the user has none yet,
    every page of the property sends them to « Sécurité » (which says which properties require it and
    why they were sent there, for as long as it applies). None: go on."""
    if not must_set_up_two_factor(request.user, request.property):
        return None
    url = reverse("mfa_index")
    if is_htmx(request):
        # A partial request (a dialog, a list) would swap the Security page into the current one.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def property_view(
    action: Action = Action.VIEW_PROPERTY,
) -> Callable[[Callable[Concatenate[PropertyRequest, P], HttpResponse]], Callable[..., HttpResponse]]:
    """Decorate a view taking ``property_id``: 404 without a role, 403 if the role may not ``action``."""

    def decorator(
        view: Callable[Concatenate[PropertyRequest, P], HttpResponse],
    ) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapper(
            request: HttpRequest, property_id: int, *args: P.args, **kwargs: P.kwargs
        ) -> HttpResponse:
            prop = get_property_for(request.user, property_id)
            preq = as_property_request(request, prop)
            gate = two_factor_gate(preq)
            if gate is not None:
                return gate
            if action not in preq.allowed:
                raise DjangoPermissionDenied
            try:
                return view(preq, *args, **kwargs)
            except errors.PermissionDenied as exc:
                raise DjangoPermissionDenied(str(exc)) from exc
            except errors.NotFound as exc:
                raise Http404(str(exc)) from exc

        return wrapper

    return decorator


def require_action(request: PropertyRequest, action: Action) -> None:
    """403 unless the user's role allows ``action`` (for a page that shows to more roles than may post)."""
    if action not in request.allowed:
        raise DjangoPermissionDenied


def as_property_request(request: HttpRequest, prop: Property) -> PropertyRequest:
    """The request, typed and completed for a page of ``prop`` (the user holds a role on it)."""
    user = request.user
    assert isinstance(user, User)
    role = role_on(user, prop)
    assert role is not None
    preq: PropertyRequest = request  # type: ignore[assignment]
    preq.property = prop
    preq.role = role
    preq.allowed = ROLE_ACTIONS[role]
    return preq
