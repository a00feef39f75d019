"""Shared view helpers that know nothing of the apps above ``core``. The property pages' decorator and
typed request (``property_view``, ``PropertyRequest``) are in ``logis.properties.access``."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, QueryDict


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def paginate(request: HttpRequest, items: Any, per_page: int) -> Page[Any]:
    """The page of ``items`` that ``?page=`` asks for (the last one past the end, the first one on junk)."""
    paginator: Paginator[Any] = Paginator(items, per_page)
    return paginator.get_page(request.GET.get("page"))


def posted(request: HttpRequest) -> QueryDict | None:
    """The POST data on a POST (even when empty: an empty form is still submitted), else None."""
    return request.POST if request.method == "POST" else None
