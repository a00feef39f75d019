from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from logis.core.language import Language
from logis.core.permissions import Role

if TYPE_CHECKING:
    from logis.properties.models import Property


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create(email, password, **extra)


class User(AbstractUser):
    """A person who signs in with an email address; French unless they choose English."""

    username = None  # type: ignore[assignment]
    email = models.EmailField(_("email address"), unique=True)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.FR)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def role_on(self, property: Property) -> str | None:
        """The user's role on the property, or None (``logis.core.permissions.can`` asks it).
        Cached on the user object, so for one request."""
        cache: dict[int, str | None] = self.__dict__.setdefault("_logis_roles", {})
        if property.pk not in cache:
            cache[property.pk] = Membership.objects.role_of(self, property)
        return cache[property.pk]

    def remember_role(self, property_id: int, role: str | None) -> None:
        """The role on a property read by a query that already joined the membership (the property's pages
        read property and role in one query): ``role_on`` then asks nothing more for this request."""
        cache: dict[int, str | None] = self.__dict__.setdefault("_logis_roles", {})
        cache[property_id] = role


class MembershipManager(models.Manager["Membership"]):
    def role_of(self, user: User, property: Property) -> str | None:
        """The user's role on the property, or None: the one query behind every permission check."""
        return self.filter(user=user, property=property).values_list("role", flat=True).first()


class Membership(models.Model):
    """A user's role on one property. A user holds at most one role per property."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    property = models.ForeignKey("properties.Property", on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    objects: ClassVar[MembershipManager] = MembershipManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "property"], name="one_role_per_property")]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} — {self.property} ({self.get_role_display()})"


class Invitation(models.Model):
    """A single-use, expiring link that lets a resident set a password and reach the portal.

    Only the SHA-256 of the token is stored: the link in the email is the one place the token exists.
    A newer invitation for the same resident revokes the older ones; accepting one marks it used.
    """

    resident = models.ForeignKey("properties.Resident", on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("email address"))
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="accepted_invitations"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["resident", "-created_at"])]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.email} ({self.created_at:%Y-%m-%d})" if self.created_at else self.email


class OrganizationKind(models.TextChoices):
    SYNDICATE = "syndicate", _("Condo association (syndicate)")
    FIRM = "firm", _("Management firm")


class Organization(models.Model):
    """Who owns properties in Logis: one syndicate, or a management firm that runs several.

    Its administrators may create properties for it (and become each new property's first
    administrator); roles on a property itself stay ``Membership``.
    """

    name = models.CharField(_("organization name"), max_length=120)
    kind = models.CharField(
        _("kind of organization"),
        max_length=16,
        choices=OrganizationKind.choices,
        default=OrganizationKind.SYNDICATE,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self) -> str:
        return self.name


class OrganizationMembership(models.Model):
    """A user who administers an organization: may create its properties."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="organization_memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(
        _("role"), max_length=16, choices=[(Role.ADMIN, _("Administrator"))], default=Role.ADMIN
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="one_role_per_organization")
        ]
        verbose_name = _("organization member")
        verbose_name_plural = _("organization members")

    def __str__(self) -> str:
        return f"{self.user} — {self.organization}"


class StaffInvitation(models.Model):
    """A single-use, expiring link inviting someone by email to a role on a property.

    As for residents' invitations, only the SHA-256 of the token is stored. Resending replaces the
    token (the older link stops working); revoking or accepting ends it.
    """

    property = models.ForeignKey(
        "properties.Property", on_delete=models.CASCADE, related_name="staff_invitations"
    )
    email = models.EmailField(_("email address"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.FR)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["property", "email"])]
        verbose_name = _("staff invitation")
        verbose_name_plural = _("staff invitations")

    def __str__(self) -> str:
        return f"{self.email} ({self.get_role_display()})"
