from __future__ import annotations

import re
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from logis.core.language import Language


class PaymentMethod(models.TextChoices):
    CARD = "card", _("Card")
    PAD = "acss_debit", _("Pre-authorized debit")
    INTERAC = "interac", _("Interac e-Transfer")
    CHEQUE = "cheque", _("Cheque")
    CASH = "cash", _("Cash")
    OTHER = "other", _("Other")


ONLINE_METHODS = (PaymentMethod.CARD, PaymentMethod.PAD)


class Province(models.TextChoices):
    """Where the property is: in Quebec its invoices and receipts are French first (Charter of the French
    language, s. 57; logis/core/charter.py)."""

    QC = "QC", _("Quebec")
    ON = "ON", _("Ontario")
    NB = "NB", _("New Brunswick")
    NS = "NS", _("Nova Scotia")
    PE = "PE", _("Prince Edward Island")
    NL = "NL", _("Newfoundland and Labrador")
    MB = "MB", _("Manitoba")
    SK = "SK", _("Saskatchewan")
    AB = "AB", _("Alberta")
    BC = "BC", _("British Columbia")
    YT = "YT", _("Yukon")
    NT = "NT", _("Northwest Territories")
    NU = "NU", _("Nunavut")


def default_accepted_methods() -> list[str]:
    return [PaymentMethod.CARD, PaymentMethod.INTERAC, PaymentMethod.CHEQUE]


class Property(models.Model):
    """A building or association whose units are billed."""

    organization = models.ForeignKey(
        "accounts.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="properties",
        verbose_name=_("organization"),
    )
    name = models.CharField(_("name"), max_length=120)
    legal_name = models.CharField(_("legal name of the syndicate"), max_length=200, blank=True)
    neq = models.CharField(_("Quebec enterprise number (NEQ)"), max_length=10, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    fiscal_year_start_month = models.PositiveSmallIntegerField(
        _("first month of the fiscal year"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    # A PNG or JPEG checked with Pillow (logis/properties/logo.py), in the default storage (MEDIA_ROOT).
    logo = models.FileField(_("logo"), upload_to="logos/", blank=True, max_length=200)
    timezone = models.CharField(_("time zone"), max_length=64, default="America/Toronto")
    province = models.CharField(_("province"), max_length=2, choices=Province.choices, default=Province.QC)
    currency = models.CharField(_("currency"), max_length=3, default="CAD")
    language = models.CharField(_("default language"), max_length=2, choices=Language.choices, default="fr")
    payments_enabled = models.BooleanField(_("payments enabled"), default=False)
    accepted_methods = models.JSONField(_("accepted payment methods"), default=default_accepted_methods)
    # Billed (a one-line invoice, late-fee category) when an automatic debit fails; 0: none.
    nsf_fee = models.DecimalField(
        _("fee for a refused payment (NSF)"), max_digits=8, decimal_places=2, default=Decimal("0.00")
    )
    # Staff (every role on the property) without an authenticator app are sent to « Sécurité » from
    # every page of the property until they turn it on. Residents and their portal are never affected.
    require_staff_mfa = models.BooleanField(_("two-factor authentication required for staff"), default=False)
    # Next number handed out at publish; the row is locked while it is taken, so no gap or duplicate.
    next_invoice_number = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("property")
        verbose_name_plural = _("properties")

    def __str__(self) -> str:
        return self.name


_DIGITS = re.compile(r"(\d+)")


def natural_key(number: str) -> str:
    """A text key that sorts unit numbers naturally: 2 < 10 < 101 < PH-1."""
    return _DIGITS.sub(lambda m: m.group(1).zfill(12), number.strip().casefold())


class Unit(models.Model):
    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="units")
    number = models.CharField(_("unit number"), max_length=20)
    sort_key = models.CharField(max_length=128, editable=False, db_index=True)
    share = models.DecimalField(
        _("share (%)"),
        max_digits=7,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    # Optional, as an import gives them (« Étage », « Type »: apartment, parking, locker...).
    floor = models.CharField(_("floor"), max_length=20, blank=True)
    unit_type = models.CharField(_("type"), max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sort_key"]
        constraints = [
            models.UniqueConstraint(fields=["property", "number"], name="unit_number_unique_in_property"),
            # "101a" and "101A" are the same door: unique whatever the case (the service trims spaces).
            models.UniqueConstraint(Lower("number"), "property", name="unit_number_unique_in_property_ci"),
        ]
        indexes = [models.Index(fields=["property", "sort_key"])]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self) -> str:
        return self.number

    def save(self, *args: object, **kwargs: object) -> None:
        self.sort_key = natural_key(self.number)
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class Resident(models.Model):
    """A person living in or owning units of a property; may have a portal login (``user``)."""

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="residents")
    name = models.CharField(_("name"), max_length=120)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    language = models.CharField(_("preferred language"), max_length=2, choices=Language.choices, default="fr")
    # Where paper mail goes when the resident does not live in the unit (an owner who rents it out).
    mailing_address = models.CharField(_("mailing address"), max_length=255, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="residencies"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["property", "name"])]
        verbose_name = _("resident")
        verbose_name_plural = _("residents")

    def __str__(self) -> str:
        return self.name


class OccupancyKind(models.TextChoices):
    OWNER = "owner", _("Owner")
    TENANT = "tenant", _("Tenant")


class Occupancy(models.Model):
    """A resident's link to a unit; at most one link per unit is the primary resident."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="occupancies")
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="occupancies")
    kind = models.CharField(
        _("as"), max_length=10, choices=OccupancyKind.choices, default=OccupancyKind.OWNER
    )
    is_primary = models.BooleanField(_("primary resident"), default=False)
    # A co-owner (or tenant) who asked for them gets the unit's invoice, reminder and receipt emails
    # too; the primary resident always does and stays the one billed.
    receives_emails = models.BooleanField(_("Receive invoices and receipts by email"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "resident"], name="one_link_per_unit_resident"),
            models.UniqueConstraint(
                fields=["unit"], condition=Q(is_primary=True), name="one_primary_resident_per_unit"
            ),
        ]
        verbose_name = _("occupancy")
        verbose_name_plural = _("occupancies")

    def __str__(self) -> str:
        return f"{self.resident} — {self.unit} ({self.get_kind_display()})"
