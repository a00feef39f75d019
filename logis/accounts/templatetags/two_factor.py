"""The Security page's view of the property policies: which properties require two-factor authentication."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import template

from logis.accounts.selectors import two_factor_required_by

if TYPE_CHECKING:
    from logis.properties.models import Property

register = template.Library()


@register.simple_tag(takes_context=True)
def required_two_factor_by(context: Any) -> list[Property]:
    """The properties on which the signed-in user is staff and that require two-factor authentication."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    return two_factor_required_by(user)
