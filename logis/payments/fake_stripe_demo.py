"""The demo: the local fake of Stripe served inside Logis under ``/demo-stripe/`` when no Stripe key is set
(``make run``), its objects in the database so that every worker serves the same sessions."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from logis.payments.fake_stripe import FakeStripe
from logis.payments.fake_stripe_pages import WEBHOOK_URL_KEY
from logis.payments.fake_stripe_store import DatabaseStore

# Its objects in the database: every worker of the demo serves the same sessions, and a restart keeps them.
DEMO = FakeStripe(store=DatabaseStore())


@csrf_exempt
def demo_view(request: HttpRequest, path: str = "") -> HttpResponse:
    """``/demo-stripe/…``: the fake, served by Logis itself in demo mode only (404 with a real key)."""
    from logis.payments import stripe_gateway

    if not stripe_gateway.demo_mode():
        raise Http404
    import io

    DEMO.webhook_secret = stripe_gateway.webhook_secret()
    body = request.body
    environ = dict(request.META)
    environ.update(
        {
            "wsgi.input": io.BytesIO(body),
            "CONTENT_LENGTH": str(len(body)),
            "SCRIPT_NAME": request.META.get("SCRIPT_NAME", "") + stripe_gateway.DEMO_PREFIX,
            "PATH_INFO": "/" + path,
            WEBHOOK_URL_KEY: request.build_absolute_uri(reverse("stripe_webhook")),
        }
    )
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        captured["status"] = int(status.split()[0])
        captured["headers"] = headers

    content = b"".join(DEMO(environ, start_response))
    response = HttpResponse(content, status=captured["status"])
    for name, value in captured["headers"]:
        if name.lower() != "content-length":
            response[name] = value
    return response
