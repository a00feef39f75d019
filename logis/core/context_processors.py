from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def property_context(request: HttpRequest) -> dict[str, Any]:
    """Expose the current property, role and allowed actions to every template (sidebar, buttons)."""
    prop = getattr(request, "property", None)
    if prop is None:
        return {}
    allowed: frozenset[Any] = getattr(request, "allowed", frozenset())
    return {"property": prop, "role": getattr(request, "role", None), "allowed": {a.value for a in allowed}}
