from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

from logis.core.language import Language


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

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Account emails (the password reset) in the account's language, not the page's."""
        from logis.accounts.models import User

        user = context.get("user")
        if not isinstance(user, User):
            user = User.objects.filter(email__iexact=email).first()
        language = getattr(user, "language", None)
        if language in ("fr", "en"):
            with translation.override(language):
                super().send_mail(template_prefix, email, context)
            return
        super().send_mail(template_prefix, email, context)
