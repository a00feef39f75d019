from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from logis.accounts.models import Invitation, Membership, User
from logis.core.admin import ReadOnlyModelAdmin


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "language", "is_staff")
    search_fields = ("email", "first_name", "last_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("first_name", "last_name", "language")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Membership)
class MembershipAdmin(ReadOnlyModelAdmin):
    """Read-only: roles change on Paramètres > Membres, through the service that keeps the audit log and at
    least one administrator per property."""

    list_display = ("user", "property", "role", "created_at")
    list_select_related = ("user", "property")
    list_filter = ("role",)
    search_fields = ("user__email", "property__name")


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyModelAdmin):
    """Read-only: invitations are sent from the Résidents page (the token exists only in the email)."""

    list_display = ("email", "resident", "created_at", "expires_at", "accepted_at", "revoked_at")
    search_fields = ("email", "resident__name")
    readonly_fields = (
        "resident",
        "email",
        "created_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "accepted_by",
        "revoked_at",
    )
    exclude = ("token_hash",)
