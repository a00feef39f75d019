from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest
from django.utils import translation


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are created by managers (invitations), never by open sign-up."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

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
