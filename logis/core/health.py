"""`/healthz`: ready to serve pages, for load balancers, `make run`'s readiness wait and the deploy test."""

from __future__ import annotations

import logging

from django.contrib.staticfiles.storage import staticfiles_storage
from django.db import connection
from django.http import HttpRequest, HttpResponseRedirect, JsonResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)


def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers and a page can be rendered, else 503 with what failed.

    The template names the same static files as every page (`{% static %}`): with the manifest storage of
    production, a `collectstatic` not run (or failed) makes every page fail, and so this check, instead of a
    health check that stays green while every page answers 500.
    """
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        logger.exception("healthz: the database does not answer")
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        render_to_string("core/healthz.html", request=request)
        checks["pages"] = "ok"
    except Exception as exc:
        logger.exception("healthz: pages cannot be rendered")
        checks["pages"] = f"error: {type(exc).__name__}: {exc}"[:300]
    ok = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if ok else "error", "checks": checks}, status=200 if ok else 503)


def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """`/favicon.ico`, which browsers ask for on their own: the icon in static files (hashed in prod)."""
    return HttpResponseRedirect(staticfiles_storage.url("logis/favicon.ico"))
