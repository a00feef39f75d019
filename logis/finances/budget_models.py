"""Budgets per fiscal year and special assessments (imported by ``logis.finances.models``).

A ``Budget`` holds the amount of each fund for one fiscal year of a property. Adopting it (« Créer les
charges ») fixes each unit's yearly contribution per fund (``BudgetContribution``, art. 1072 C.c.Q.: the
board fixes the contributions) and creates the recurring dues schedule that bills them month by month.
A ``SpecialAssessment`` is one decision billed as N instalments per unit; each instalment is a billing
batch (``SpecialAssessmentInstalment``).
"""

from __future__ import annotations

import builtins

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

MAX_INSTALMENTS = 60


class BudgetStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ADOPTED = "adopted", _("Adopted")


class Budget(models.Model):
    """The budget of one fiscal year: an amount per fund; adopted once, then its dues exist."""

    property = models.ForeignKey("properties.Property", on_delete=models.PROTECT, related_name="budgets")
    # The calendar year in which the fiscal year starts, and its first month (copied from the property
    # when the budget is created, so a later change of the setting does not move this year).
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    first_month = models.PositiveSmallIntegerField(
        _("first month of the fiscal year"), validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    status = models.CharField(
        _("status"), max_length=8, choices=BudgetStatus.choices, default=BudgetStatus.DRAFT
    )
    schedule = models.OneToOneField(
        "billing.RecurringSchedule", null=True, blank=True, on_delete=models.PROTECT, related_name="budget"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    adopted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    adopted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-fiscal_year", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["property", "fiscal_year"], name="one_budget_per_fiscal_year"),
            models.CheckConstraint(
                condition=Q(first_month__gte=1, first_month__lte=12), name="budget_first_month_1_12"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(schedule__isnull=False), name="adopted_budget_has_schedule"
            ),
        ]
        verbose_name = _("budget")
        verbose_name_plural = _("budgets")

    def __str__(self) -> str:
        return self.label

    @builtins.property
    def label(self) -> str:
        """« 2027 » for a calendar fiscal year, « 2027-2028 » otherwise."""
        if self.first_month == 1:
            return str(self.fiscal_year)
        return f"{self.fiscal_year}-{self.fiscal_year + 1}"


class BudgetAmount(models.Model):
    """A fund's budget for the year."""

    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="amounts")
    fund = models.ForeignKey("finances.Fund", on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["budget", "fund"], name="one_amount_per_budget_fund"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="budget_amount_not_negative"),
        ]
        verbose_name = _("budget of a fund")
        verbose_name_plural = _("budgets of the funds")

    def __str__(self) -> str:
        return f"{self.budget_id}:{self.fund_id}={self.amount}"


class BudgetContribution(models.Model):
    """A unit's yearly contribution to a fund, fixed when the budget is adopted (months derive from it)."""

    budget = models.ForeignKey(Budget, on_delete=models.PROTECT, related_name="contributions")
    unit = models.ForeignKey("properties.Unit", on_delete=models.PROTECT, related_name="+")
    fund = models.ForeignKey("finances.Fund", on_delete=models.PROTECT, related_name="+")
    share = models.DecimalField(_("share"), max_digits=9, decimal_places=4)
    yearly = models.DecimalField(_("yearly contribution"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["budget", "unit", "fund"], name="one_contribution_per_unit_fund"),
            models.CheckConstraint(condition=Q(yearly__gte=0), name="contribution_not_negative"),
        ]
        verbose_name = _("contribution")
        verbose_name_plural = _("contributions")

    def __str__(self) -> str:
        return f"{self.budget_id}:{self.unit_id}:{self.fund_id}={self.yearly}"


class SplitRule(models.TextChoices):
    SHARE = "share", _("By the units' shares")
    EQUAL = "equal", _("Equally between the units")


class SpecialAssessment(models.Model):
    """The board's decision: a total split by share or equally, billed in N monthly instalments."""

    property = models.ForeignKey(
        "properties.Property", on_delete=models.PROTECT, related_name="special_assessments"
    )
    description = models.CharField(_("description"), max_length=200)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    split_rule = models.CharField(_("split"), max_length=8, choices=SplitRule.choices)
    instalment_count = models.PositiveSmallIntegerField(
        _("instalments"), validators=[MinValueValidator(1), MaxValueValidator(MAX_INSTALMENTS)]
    )
    first_due_date = models.DateField(_("first due date"))
    category = models.ForeignKey("finances.ChargeCategory", on_delete=models.PROTECT, related_name="+")
    published = models.BooleanField(_("published at creation"), default=False)
    notify_resident = models.BooleanField(_("send an email notification to the resident"), default=False)
    unit_count = models.PositiveIntegerField(_("units"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Generated when the form is rendered: posting the same form twice returns the first assessment.
    creation_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(total__gt=0), name="assessment_total_positive"),
            models.CheckConstraint(
                condition=Q(instalment_count__gte=1, instalment_count__lte=MAX_INSTALMENTS),
                name="assessment_instalments_1_60",
            ),
        ]
        verbose_name = _("special assessment")
        verbose_name_plural = _("special assessments")

    def __str__(self) -> str:
        return self.description


class SpecialAssessmentInstalment(models.Model):
    """One instalment of a special assessment: a batch of one invoice per unit, due on ``due_date``."""

    assessment = models.ForeignKey(SpecialAssessment, on_delete=models.PROTECT, related_name="instalments")
    number = models.PositiveSmallIntegerField(_("instalment"))
    due_date = models.DateField(_("due date"))
    batch = models.OneToOneField("billing.Batch", on_delete=models.PROTECT, related_name="instalment")

    class Meta:
        ordering = ["assessment", "number"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "number"], name="one_instalment_per_number"),
        ]
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")

    def __str__(self) -> str:
        return f"{self.assessment_id}:{self.number}"
