"""The Django admin, read-only, for support: look a record up, never change it there.

Every change goes through the pages, the API and their services, which check the roles, keep the audit log and
the rules (one administrator at least, gap-free numbers, financial records never deleted). The admin shows
the main objects with lists, search and filters, and offers no add, change or delete.

``ReadOnlyModelAdmin`` and the audit log are here; the domain apps' objects are registered by
``logis.dashboard.admin`` (``core`` imports nothing of the apps above it).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from logis.core.models import AuditEvent


class ReadOnlyModelAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """View only: no add, change or delete permission whoever asks (superusers included)."""

    actions = None

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyModelAdmin):
    list_display = ("created_at", "property", "actor", "verb", "object_type", "object_id", "object_repr")
    list_filter = ("verb", "object_type", "property")
    search_fields = ("object_id", "object_repr", "actor__email", "verb")
    list_select_related = ("property", "actor")
    date_hierarchy = "created_at"
