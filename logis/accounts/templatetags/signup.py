"""Whether « Créer un compte » shows on the sign-in page (open sign-up, ``LOGIS_SIGNUP``)."""

from __future__ import annotations

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def signup_open() -> bool:
    return bool(getattr(settings, "LOGIS_SIGNUP", False))
