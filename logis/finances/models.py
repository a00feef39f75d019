"""Funds and charge categories of a property (issue 11).

A syndicate keeps an operating fund, a contingency fund (art. 1071 C.c.Q.) and a self-insurance fund
(art. 1071.1), and may add its own. Every invoice line has a charge category, and every category belongs
to one fund, so what was billed to each fund is one join away. The legal funds and the default categories
are created for every property (``logis.finances.defaults``); their names follow the reader's language
until someone renames them.
"""

from __future__ import annotations

import builtins
from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

# GST 5 % and QST 9.975 %, each computed on the line's amount and rounded per line (ROUND_HALF_UP).
GST_RATE = Decimal("0.05")
QST_RATE = Decimal("0.09975")


class FundKind(models.TextChoices):
    OPERATING = "operating", _("Operating fund")
    CONTINGENCY = "contingency", _("Contingency fund")
    SELF_INSURANCE = "self_insurance", _("Self-insurance fund")
    CUSTOM = "custom", _("Other fund")


LEGAL_FUND_KINDS = (FundKind.OPERATING, FundKind.CONTINGENCY, FundKind.SELF_INSURANCE)


class CategoryCode(models.TextChoices):
    """The categories Logis creates for every property and bills into by itself (late fees, imports...)."""

    CONDO_FEES = "condo_fees", _("Condo fees")
    SPECIAL_ASSESSMENT = "special_assessment", _("Special assessment")
    LATE_FEE = "late_fee", _("Late fee")
    OPENING_BALANCE = "opening_balance", _("Opening balance")
    PARKING = "parking", _("Parking")
    KEY_FOB = "key_fob", _("Key fob")
    OTHER = "other", _("Other charges")


class Fund(models.Model):
    property = models.ForeignKey("properties.Property", on_delete=models.PROTECT, related_name="funds")
    kind = models.CharField(_("kind"), max_length=16, choices=FundKind.choices, default=FundKind.CUSTOM)
    # Blank for a legal fund never renamed: its name then follows the reader's language.
    name = models.CharField(_("name"), max_length=80, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["property", "kind"],
                condition=~Q(kind="custom"),
                name="fund_one_legal_fund_of_each_kind",
            ),
            models.UniqueConstraint(
                Lower("name"), "property", condition=~Q(name=""), name="fund_name_unique_in_property_ci"
            ),
            models.CheckConstraint(condition=~Q(kind="custom") | ~Q(name=""), name="fund_custom_has_a_name"),
        ]
        verbose_name = _("fund")
        verbose_name_plural = _("funds")

    def __str__(self) -> str:
        return str(self.display_name)

    @builtins.property
    def display_name(self) -> str:
        return self.name or str(FundKind(self.kind).label)

    @builtins.property
    def is_legal(self) -> bool:
        return self.kind != FundKind.CUSTOM


class ChargeCategory(models.Model):
    property = models.ForeignKey(
        "properties.Property", on_delete=models.PROTECT, related_name="charge_categories"
    )
    fund = models.ForeignKey(
        Fund, on_delete=models.PROTECT, related_name="categories", verbose_name=_("fund")
    )
    # Set for the categories Logis creates (and finds again: late fees, opening balances); blank for others.
    code = models.CharField(max_length=24, choices=CategoryCode.choices, blank=True)
    # Blank for a default category never renamed: its name then follows the reader's language.
    name = models.CharField(_("name"), max_length=80, blank=True)
    taxable = models.BooleanField(_("taxable (GST and QST)"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    # The category of a one-line invoice made with « Créer une facture » (exactly one per property).
    is_default = models.BooleanField(_("default category"), default=False)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["property", "code"], condition=~Q(code=""), name="category_code_unique_in_property"
            ),
            models.UniqueConstraint(
                Lower("name"), "property", condition=~Q(name=""), name="category_name_unique_in_property_ci"
            ),
            models.UniqueConstraint(
                fields=["property"], condition=Q(is_default=True), name="category_one_default_per_property"
            ),
            models.CheckConstraint(condition=~Q(code="") | ~Q(name=""), name="category_custom_has_a_name"),
            models.CheckConstraint(
                condition=Q(is_default=False) | Q(is_active=True), name="category_default_is_active"
            ),
        ]
        verbose_name = _("charge category")
        verbose_name_plural = _("charge categories")

    def __str__(self) -> str:
        return str(self.display_name)

    @builtins.property
    def display_name(self) -> str:
        return self.name or str(CategoryCode(self.code).label)


class TaxRegistration(models.Model):
    """The syndicate's GST and QST registration numbers, printed on its taxable documents."""

    property = models.OneToOneField(
        "properties.Property", on_delete=models.CASCADE, related_name="tax_registration"
    )
    gst_number = models.CharField(_("GST registration number"), max_length=15, blank=True)
    qst_number = models.CharField(_("QST registration number"), max_length=16, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("tax registration")
        verbose_name_plural = _("tax registrations")

    def __str__(self) -> str:
        return f"{self.gst_number} {self.qst_number}".strip()


# Budgets and special assessments (issue 11, part B) live in their own module.
from logis.finances.budget_models import (  # noqa: E402
    MAX_INSTALMENTS,
    Budget,
    BudgetAmount,
    BudgetContribution,
    BudgetStatus,
    SpecialAssessment,
    SpecialAssessmentInstalment,
    SplitRule,
)

__all__ = [
    "MAX_INSTALMENTS",
    "Budget",
    "BudgetAmount",
    "BudgetContribution",
    "BudgetStatus",
    "CategoryCode",
    "ChargeCategory",
    "Fund",
    "FundKind",
    "SpecialAssessment",
    "SpecialAssessmentInstalment",
    "SplitRule",
    "TaxRegistration",
]
