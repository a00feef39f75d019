"""Special assessments in instalments (cotisations spéciales): plan (the preview) and create.

One decision of the board — a total split by share (art. 1064 C.c.Q.) or equally, N monthly
instalments from a first due date — gives N invoices per unit. Each unit's instalments add up to its
part and the parts to the total, to the cent (``allocation.instalments``). Each instalment is a billing
batch (one draft per unit, same title and due date), published at once when the manager asks.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import translation
from django.utils.translation import gettext as _

from logis.budgeting import allocation
from logis.budgeting.dues import Line, LinesRow, write_lines_batch
from logis.core import audit
from logis.core.audit import Verb
from logis.core.errors import NotFound, ValidationError
from logis.core.money import MAX_AMOUNT, quantize
from logis.core.permissions import Action, require
from logis.finances.models import (
    MAX_INSTALMENTS,
    CategoryCode,
    ChargeCategory,
    SpecialAssessment,
    SpecialAssessmentInstalment,
    SplitRule,
)
from logis.finances.selectors import categories, category_by_code
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.invoicing.rules import TITLE_MAX, due_date_error, require_payments_enabled
from logis.invoicing.services import publish_invoices
from logis.properties.models import Property, Unit

if TYPE_CHECKING:
    from logis.accounts.models import User

ZERO = Decimal("0.00")
DESCRIPTION_MAX = 150  # leaves room in the invoice title for « (12/12) »


@dataclass(frozen=True)
class AssessmentRow:
    unit_id: int
    number: str
    share: Decimal | None
    total: Decimal
    instalments: list[Decimal]


@dataclass(frozen=True)
class AssessmentPlan:
    """What the decision creates: per unit its part and instalments; per instalment its due date."""

    rows: list[AssessmentRow]
    due_dates: list[dt.date]
    total: Decimal
    instalment_totals: list[Decimal]

    @property
    def invoice_count(self) -> int:
        return len(self.rows) * len(self.due_dates)


def instalment_title(description: str, number: int, count: int) -> str:
    """« Réfection de la toiture (1/3) »; a single instalment keeps the description alone."""
    return description if count == 1 else f"{description} ({number}/{count})"


def plan_assessment(
    *,
    property: Property,
    description: str,
    total: Decimal | None,
    split_rule: str,
    instalment_count: int | None,
    first_due_date: dt.date | None,
    category_id: int | None = None,
    now: dt.datetime | None = None,
) -> AssessmentPlan:
    """Check the decision and compute every amount: the preview shows exactly what will be created."""
    errors: dict[str, str] = {}
    description = (description or "").strip()
    if not description:
        errors["description"] = _("Describe the special assessment.")
    elif len(description) > DESCRIPTION_MAX:
        errors["description"] = _("The description may have at most %(max)d characters.") % {
            "max": DESCRIPTION_MAX
        }
    if total is None:
        errors["total"] = _("Enter an amount.")
    elif total <= 0:
        errors["total"] = _("The amount must be greater than $0.")
    elif total != quantize(total):
        errors["total"] = _("The amount may have at most two decimals.")
    elif total > MAX_AMOUNT:
        errors["total"] = _("The amount is too large.")
    if split_rule not in SplitRule.values:
        errors["split_rule"] = _("Choose how the total is split.")
    if instalment_count is None or not 1 <= instalment_count <= MAX_INSTALMENTS:
        errors["instalment_count"] = _("Choose between 1 and %(max)d instalments.") % {"max": MAX_INSTALMENTS}
    if due_error := due_date_error(property, first_due_date, now):
        errors["first_due_date"] = due_error
    if (
        category_id is not None
        and not ChargeCategory.objects.filter(
            pk=category_id, property=property, is_active=True, taxable=False
        ).exists()
    ):
        errors["category"] = _("Choose an active, tax-exempt category of this property.")
    if errors:
        raise ValidationError(errors)
    assert total is not None and instalment_count is not None and first_due_date is not None
    units = list(
        Unit.objects.filter(property=property).order_by("sort_key", "id").only("id", "number", "share")
    )
    if not units:
        raise ValidationError({"__all__": _("This property has no unit yet: add its units first.")})
    shares: dict[int, Decimal] | None = None
    if split_rule == SplitRule.SHARE:
        missing = [u.number for u in units if u.share is None]
        if missing:
            raise ValidationError(
                {
                    "split_rule": _(
                        "These units have no share (quote-part): %(units)s. Give them a share on the Units "
                        "page, or split the total equally."
                    )
                    % {"units": ", ".join(missing)}
                }
            )
        shares = {u.pk: Decimal(u.share or 0) for u in units}
        if sum(shares.values()) <= 0:
            raise ValidationError({"split_rule": _("The shares of the units add up to 0 %.")})
    amounts = allocation.instalments(total, [u.pk for u in units], shares, instalment_count)
    zero = [u.number for u in units if any(a <= 0 for a in amounts[u.pk])]
    if zero:
        raise ValidationError(
            {
                "instalment_count": _(
                    "With this total and number of instalments, these units would be billed 0 $: %(units)s."
                )
                % {"units": ", ".join(zero)}
            }
        )
    rows = [AssessmentRow(u.pk, u.number, u.share, sum(amounts[u.pk], ZERO), amounts[u.pk]) for u in units]
    return AssessmentPlan(
        rows=rows,
        due_dates=allocation.instalment_due_dates(first_due_date, instalment_count),
        total=total,
        instalment_totals=[sum((r.instalments[i] for r in rows), ZERO) for i in range(instalment_count)],
    )


def assessment_categories(property: Property) -> list[ChargeCategory]:
    """The categories a special assessment may be billed in: active and exempt (condo contributions)."""
    return list(categories(property, active_only=True).filter(taxable=False).order_by("position", "id"))


def default_category(property: Property) -> ChargeCategory:
    """The property's special-assessment category (contingency fund), the default one otherwise."""
    return category_by_code(property, CategoryCode.SPECIAL_ASSESSMENT)


def create_special_assessment(
    *,
    actor: User,
    property: Property,
    description: str,
    total: Decimal | None,
    split_rule: str,
    instalment_count: int | None,
    first_due_date: dt.date | None,
    category_id: int | None,
    publish: bool = False,
    notify_resident: bool = False,
    creation_token: uuid.UUID | None = None,
    now: dt.datetime | None = None,
) -> SpecialAssessment:
    """Create the N invoices per unit of a special assessment in one transaction (drafts, or published)."""
    require(actor, Action.CREATE_INVOICE, property)
    if publish:
        require(actor, Action.PUBLISH_INVOICE, property)
    if creation_token is not None:
        existing = SpecialAssessment.objects.filter(creation_token=creation_token).first()
        if existing is not None:
            if existing.property_id != property.pk:
                raise ValidationError({"__all__": _("This form was already used. Reload the page.")})
            return existing
    with transaction.atomic():
        locked = Property.objects.select_for_update().get(pk=property.pk)
        require_payments_enabled(locked)
        plan = plan_assessment(
            property=locked,
            description=description,
            total=total,
            split_rule=split_rule,
            instalment_count=instalment_count,
            first_due_date=first_due_date,
            category_id=category_id,
            now=now,
        )
        category = (
            ChargeCategory.objects.get(pk=category_id)
            if category_id is not None
            else default_category(locked)
        )
        assert total is not None and instalment_count is not None and first_due_date is not None
        description = description.strip()
        try:
            with transaction.atomic():
                assessment = SpecialAssessment.objects.create(
                    property=locked,
                    description=description,
                    total=total,
                    split_rule=split_rule,
                    instalment_count=instalment_count,
                    first_due_date=first_due_date,
                    category=category,
                    published=publish,
                    notify_resident=notify_resident,
                    unit_count=len(plan.rows),
                    created_by=actor,
                    creation_token=creation_token,
                )
        except IntegrityError:
            if creation_token is None:
                raise
            return SpecialAssessment.objects.get(creation_token=creation_token, property=property)
        invoice_ids: list[int] = []
        for index, due in enumerate(plan.due_dates):
            title = instalment_title(description, index + 1, instalment_count)[:TITLE_MAX]
            batch = write_lines_batch(
                actor=actor,
                property=locked,
                rows=[
                    LinesRow(r.unit_id, r.number, r.share, [Line(title, category, r.instalments[index])])
                    for r in plan.rows
                ],
                title=title,
                due_date=due,
                description="",
                notify_resident=notify_resident,
            )
            SpecialAssessmentInstalment.objects.create(
                assessment=assessment, number=index + 1, due_date=due, batch=batch
            )
            invoice_ids += list(batch.items.order_by("invoice_id").values_list("invoice_id", flat=True))
        audit.record(
            actor,
            Verb.SPECIAL_ASSESSMENT_CREATED,
            assessment,
            after={
                "description": description,
                "total": total,
                "split_rule": split_rule,
                "instalments": instalment_count,
                "first_due_date": first_due_date,
                "category": category.pk,
                "units": len(plan.rows),
                "invoices": len(invoice_ids),
                "published": publish,
                "notify_resident": notify_resident,
            },
        )
        if publish:
            with translation.override(locked.language or "fr"):
                publish_invoices(actor=actor, property=locked, invoice_ids=invoice_ids, now=now)
        return assessment


def assessment_list(property: Property) -> list[SpecialAssessment]:
    return list(
        SpecialAssessment.objects.filter(property=property)
        .select_related("category")
        .annotate(
            invoice_count=Count("instalments__batch__items"),
            draft_count=Count(
                "instalments__batch__items",
                filter=Q(instalments__batch__items__invoice__status=InvoiceStatus.DRAFT),
            ),
        )
        .order_by("-created_at", "-id")
    )


def get_assessment(property: Property, assessment_id: int) -> SpecialAssessment:
    found = (
        SpecialAssessment.objects.filter(property=property, pk=assessment_id)
        .select_related("category")
        .first()
    )
    if found is None:
        raise NotFound(_("This special assessment does not exist."))
    return found


def assessment_invoices(assessment: SpecialAssessment) -> list[Invoice]:
    """The assessment's invoices, by instalment then unit."""
    return list(
        Invoice.objects.filter(batch_item__batch__instalment__assessment=assessment)
        .select_related("unit", "batch_item__batch__instalment")
        .order_by("batch_item__batch__instalment__number", "unit__sort_key", "unit_id")
    )
