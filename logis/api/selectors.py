"""Reads of API tokens: a user's own tokens, for the « Jetons d'API » page."""

from __future__ import annotations

from django.db.models import QuerySet

from logis.accounts.models import User
from logis.api.models import ApiToken


def tokens_of(user: User) -> QuerySet[ApiToken]:
    """The user's tokens, newest first (revoked and expired ones too: the page says which)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")
