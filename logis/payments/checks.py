"""Deployment checks for online payment (`manage.py check --deploy`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def stripe_is_configured(app_configs: Any, **kwargs: Any) -> list[Warning]:
    if not settings.STRIPE_SECRET_KEY and getattr(settings, "STRIPE_DEMO", True):
        return [
            Warning(
                "STRIPE_SECRET_KEY is not set: online payment runs in demo mode (no real payment). "
                "Set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET, "
                "or STRIPE_DEMO=0 to offer no online payment.",
                id="logis.W101",
            )
        ]
    if settings.STRIPE_SECRET_KEY and not settings.STRIPE_WEBHOOK_SECRET:
        return [
            Warning(
                "STRIPE_WEBHOOK_SECRET is not set: every Stripe webhook will be refused (400).",
                id="logis.W102",
            )
        ]
    return []
