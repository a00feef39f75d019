"""Deployment checks (`manage.py check --deploy`): refuse the development secret in production."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register

DEV_SECRET_KEY = "insecure-dev-key-logis-change-me"  # noqa: S105 - the known development key itself


@register(Tags.security, deploy=True)
def secret_key_is_set(app_configs: Any, **kwargs: Any) -> list[Error]:
    if settings.SECRET_KEY == DEV_SECRET_KEY:
        return [
            Error(
                "SECRET_KEY is the development key: set the SECRET_KEY environment variable.", id="logis.E001"
            )
        ]
    return []
