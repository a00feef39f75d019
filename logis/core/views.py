"""Shared view helpers that know nothing of the apps above ``core``. The property pages' decorator and
typed request (``property_view``, ``PropertyRequest``) are in ``logis.properties.access``."""

from __future__ import annotations

from django.http import HttpRequest


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"
