"""An import of units, residents and opening balances from a file, and what it takes to undo it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", _("Previewed")
    APPLIED = "applied", _("Imported")
    UNDONE = "undone", _("Undone")
    EXPIRED = "expired", _("Preview expired")


class ImportBatch(models.Model):
    """One uploaded file: kept from the preview until the manager confirms it (nothing else is written
    before), then the counts of what it changed and the values it replaced (``undo``)."""

    property = models.ForeignKey("properties.Property", on_delete=models.PROTECT, related_name="imports")
    file_name = models.CharField(_("file"), max_length=255)
    file_sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED
    )
    counts = models.JSONField(default=dict)
    # Ids created and values replaced, written when it is applied: what « Undo » puts back.
    undo = models.JSONField(default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    applied_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["property", "status", "-applied_at"])]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return self.file_name


class OpeningBalance(models.Model):
    """What a unit owed (``amount`` > 0: a published invoice) or had in credit (< 0: a credit entry) on
    the day it started on Logis. Never deleted: a replaced or undone one is voided (``voided_at``)."""

    property = models.ForeignKey("properties.Property", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("properties.Unit", on_delete=models.PROTECT, related_name="opening_balances")
    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, related_name="opening_balances")
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    balance_date = models.DateField(_("balance date"))
    invoice = models.OneToOneField(
        "invoicing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="opening_balance"
    )
    credit = models.OneToOneField(
        "payments.UnitCredit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit"], condition=Q(voided_at__isnull=True), name="one_opening_balance_per_unit"
            ),
            models.CheckConstraint(condition=~Q(amount=0), name="opening_balance_not_zero"),
        ]
        verbose_name = _("opening balance")
        verbose_name_plural = _("opening balances")

    def __str__(self) -> str:
        return f"{self.unit} {self.amount}"
