from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest

from logis.accounts.models import Language


class AccountAdapter(DefaultAccountAdapter):
    """Open sign-up (« Créer un compte ») only where ``LOGIS_SIGNUP`` is on; otherwise accounts come from
    invitations and ``manage.py create_organization``."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return bool(getattr(settings, "LOGIS_SIGNUP", False))

    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        # Signed up: the address is unconfirmed until allauth's link is followed (logis/accounts/signals.py).
        user._logis_signup = True
        language = getattr(request, "LANGUAGE_CODE", "") or ""
        user.language = language if language in Language.values else Language.FR
        return super().save_user(request, user, form, commit=commit)
