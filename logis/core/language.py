"""The languages Logis speaks: a person's, a resident's and an email's language are one of these."""

from __future__ import annotations

from django.db import models


class Language(models.TextChoices):
    FR = "fr", "Français"
    EN = "en", "English"
