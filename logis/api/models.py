"""Personal API tokens: a user's key to the HTTP API, acting with that user's roles.

Only the SHA-256 of the token is stored, with a short public prefix to recognise it in the list; the
token itself is shown once, when it is created, and can never be read back.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    # The token's first characters ("lgs_" and 8 more), enough to tell tokens apart, useless to an attacker.
    prefix = models.CharField(max_length=16, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # None: never expires. The token stops working at this instant.
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    # Written at most once a minute per token (see logis.api.services.record_token_use).
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"])]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def expires_on(self) -> dt.date | None:
        """The last day the token works (it stops at the midnight that ends it, Logis's time zone)."""
        if self.expires_at is None:
            return None
        return timezone.localtime(self.expires_at - dt.timedelta(microseconds=1)).date()

    def is_expired(self, now: dt.datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now

    def is_usable(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and not self.is_expired(now)
