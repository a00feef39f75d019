"""``POST /stripe/webhook/``: Stripe's events, verified by signature, each processed once.

400 for a missing, bad or stale signature (or a body that is not an event): nothing is recorded.
200 for every verified event, handled or not, and for a problem recorded for a person to look at
(unknown invoice, another amount: Stripe must not retry forever, and no wrong payment is made).
503 only when Stripe itself had to be asked and could not be: nothing kept, Stripe retries.
"""

from __future__ import annotations

import logging

import stripe
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from logis.payments import stripe_events, stripe_gateway

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> JsonResponse:
    signature = request.headers.get("Stripe-Signature", "")
    try:
        event = stripe_gateway.construct_event(request.body, signature)
        if not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
            raise ValueError("not a Stripe event")
    except stripe.SignatureVerificationError as exc:
        logger.warning("Stripe webhook refused: %s", exc.user_message or exc)
        return JsonResponse({"error": "invalid signature"}, status=400)
    except (ValueError, TypeError, KeyError, AttributeError, UnicodeDecodeError) as exc:
        logger.warning("Stripe webhook refused: %s", exc)
        return JsonResponse({"error": "invalid payload"}, status=400)
    try:
        outcome = stripe_events.handle_event(event)
    except stripe_gateway.GatewayError as exc:
        logger.warning("Stripe event %s not processed, Stripe will retry: %s", event["id"], exc)
        return JsonResponse({"error": "try again later"}, status=503)
    return JsonResponse({"received": True, "outcome": outcome})
