"""Budget and special-assessment pages (Factures > Budget, Cotisations spéciales). Thin: forms read the
input, ``budgets`` / ``assessments`` services change state and compute the tables."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language, ngettext, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from logis.budgeting import assessments, budget_reads, budgets
from logis.budgeting.forms import AssessmentForm, BudgetForm, DuesForm, PublishChoice
from logis.core.dates import today_in
from logis.core.errors import InvalidTransition, ValidationError
from logis.core.forms import add_service_errors
from logis.core.permissions import Action
from logis.core.tabular import Cell, Column, Kind, Table, requested_format, table_response
from logis.finances.models import Budget, BudgetStatus
from logis.finances.selectors import ensure_finance_defaults
from logis.properties.access import PropertyRequest, property_view


def _input_amount(amount: Decimal | None) -> str:
    """An amount as the reader types it in the field (``1234,50`` in French, ``1234.50`` in English)."""
    if not amount:
        return ""
    text = f"{amount:.2f}"
    return text.replace(".", ",") if (get_language() or "fr").startswith("fr") else text


def _can_edit(request: PropertyRequest) -> bool:
    return Action.CREATE_INVOICE in request.allowed


# --- Budgets ----------------------------------------------------------------------------------------


@require_GET
@property_view()
def budget_list(request: PropertyRequest) -> HttpResponse:
    prop = request.property
    items = budget_reads.budget_list(prop)
    taken = {b.fiscal_year for b in items}
    free_years = [y for y in budget_reads.fiscal_year_choices(prop) if y not in taken]
    return render(
        request,
        "finances/budget_list.html",
        {"budgets": items, "can_create": _can_edit(request) and bool(free_years)},
    )


def _table_or_error(budget: Budget) -> tuple[budget_reads.ContributionTable | None, str | None]:
    try:
        return budget_reads.budget_table(budget), None
    except ValidationError as exc:
        return None, " ".join(str(m) for ms in exc.errors.values() for m in ms)


@require_http_methods(["GET", "POST"])
@property_view(Action.CREATE_INVOICE)
def budget_create(request: PropertyRequest) -> HttpResponse:
    """A new budget: the fiscal year and each fund's amount; saved as a draft, then its table shows."""
    prop = request.property
    ensure_finance_defaults(prop)
    funds = budget_reads.budget_funds(prop)
    taken = set(Budget.objects.filter(property=prop).values_list("fiscal_year", flat=True))
    years = [y for y in budget_reads.fiscal_year_choices(prop) if y not in taken]
    if not years:
        messages.info(request, _("The current fiscal year and the next two already have a budget."))
        return HttpResponseRedirect(reverse("budgets:list", args=[prop.pk]))
    first_month = prop.fiscal_year_start_month or 1
    form = BudgetForm(request.POST or None, funds=funds, years=years, first_month=first_month)
    if request.method == "POST" and form.is_valid():
        try:
            budget = budgets.save_budget(
                actor=request.user,
                property=prop,
                fiscal_year=form.cleaned_data["fiscal_year"],
                amounts=form.amounts(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The budget is saved as a draft. Review the contributions below."))
            return HttpResponseRedirect(reverse("budgets:detail", args=[prop.pk, budget.pk]))
    return render(request, "finances/budget_form.html", {"form": form, "budget": None})


def _detail_context(request: PropertyRequest, budget: Budget, **extra: Any) -> dict[str, Any]:
    table, table_error = _table_or_error(budget)
    context: dict[str, Any] = {
        "budget": budget,
        "table": table,
        "table_error": table_error,
        "can_edit": _can_edit(request) and budget.status == BudgetStatus.DRAFT,
        "payments_enabled": request.property.payments_enabled,
    }
    context.update(extra)
    return context


def _dues_initial(request: PropertyRequest, budget: Budget) -> dict[str, Any]:
    return {"title_pattern": _("Monthly contributions — {mois}"), "day_of_month": 1, "lead_days": 15}


@require_http_methods(["GET", "POST"])
@property_view()
def budget_detail(request: PropertyRequest, budget_id: int) -> HttpResponse:
    """The budget and its contributions per unit and fund; a draft's amounts and « Créer les charges »."""
    prop = request.property
    budget = budget_reads.get_budget(prop, budget_id)
    funds = budget_reads.budget_funds(prop, budget)
    amounts = {a.fund_id: a.amount for a in budget.amounts.all()}
    initial = {f"fund_{f.pk}": _input_amount(amounts.get(f.pk)) for f in funds}
    form = None
    if _can_edit(request) and budget.status == BudgetStatus.DRAFT:
        form = BudgetForm(
            request.POST or None, funds=funds, years=None, first_month=budget.first_month, initial=initial
        )
        if request.method == "POST" and form.is_valid():
            try:
                budgets.save_budget(
                    actor=request.user,
                    property=prop,
                    fiscal_year=budget.fiscal_year,
                    amounts=form.amounts(),
                    budget_id=budget.pk,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            except InvalidTransition as exc:
                form.add_error(None, str(exc.message))
            else:
                messages.success(request, _("The budget is saved. Review the contributions below."))
                return HttpResponseRedirect(reverse("budgets:detail", args=[prop.pk, budget.pk]))
    elif request.method == "POST":
        return HttpResponseRedirect(reverse("budgets:detail", args=[prop.pk, budget.pk]))
    dues_form = DuesForm(initial=_dues_initial(request, budget)) if form is not None else None
    return render(
        request,
        "finances/budget_detail.html",
        _detail_context(request, budget, form=form, dues_form=dues_form),
    )


@require_http_methods(["POST"])
@property_view(Action.CREATE_INVOICE)
def budget_adopt(request: PropertyRequest, budget_id: int) -> HttpResponse:
    """« Créer les charges »: first a confirmation page with what will be created, then the creation."""
    prop = request.property
    budget = budget_reads.get_budget(prop, budget_id)
    url = reverse("budgets:detail", args=[prop.pk, budget.pk])
    if budget.status != BudgetStatus.DRAFT:
        messages.error(request, _("The dues of this budget were already created."))
        return HttpResponseRedirect(url)
    dues_form = DuesForm(request.POST)
    confirm = request.POST.get("action") == "confirm"
    if dues_form.is_valid():
        options = dues_form.to_options()
        if options.auto_publish and Action.PUBLISH_INVOICE not in request.allowed:
            dues_form.add_error("auto_publish", _("Your role may not publish invoices."))
        elif confirm:
            try:
                budgets.adopt_budget(
                    actor=request.user,
                    property=prop,
                    budget_id=budget.pk,
                    options=options,
                )
            except ValidationError as exc:
                add_service_errors(dues_form, exc)
            except InvalidTransition as exc:
                dues_form.add_error(None, str(exc.message))
            else:
                messages.success(
                    request,
                    _(
                        "The dues are created: each month's invoices will be made %(days)d days before they "
                        "are due. See them in Recurring dues."
                    )
                    % {"days": options.lead_days},
                )
                return HttpResponseRedirect(url)
        else:
            table, table_error = _table_or_error(budget)
            if table is not None:
                try:
                    budgets.check_billable(table)
                except ValidationError as exc:
                    table_error = " ".join(str(m) for ms in exc.errors.values() for m in ms)
            if table is not None and table_error is None:
                return render(
                    request,
                    "finances/budget_confirm.html",
                    {"budget": budget, "table": table, "dues_form": dues_form, "options": options},
                )
            dues_form.add_error(None, table_error or "")
    funds = budget_reads.budget_funds(prop, budget)
    amounts = {a.fund_id: a.amount for a in budget.amounts.all()}
    form = BudgetForm(
        None,
        funds=funds,
        years=None,
        first_month=budget.first_month,
        initial={f"fund_{f.pk}": _input_amount(amounts.get(f.pk)) for f in funds},
    )
    return render(
        request,
        "finances/budget_detail.html",
        _detail_context(request, budget, form=form, dues_form=dues_form),
    )


# --- Special assessments -----------------------------------------------------------------------------


@require_GET
@property_view()
def assessment_list(request: PropertyRequest) -> HttpResponse:
    return render(
        request,
        "finances/assessment_list.html",
        {
            "assessments": assessments.assessment_list(request.property),
            "can_create": _can_edit(request) and request.property.payments_enabled,
        },
    )


@require_http_methods(["GET", "POST"])
@property_view(Action.CREATE_INVOICE)
def assessment_create(request: PropertyRequest) -> HttpResponse:
    """The decision; « Aperçu » shows every instalment of every unit, « Créer les factures » creates them."""
    prop = request.property
    if not prop.payments_enabled:
        messages.error(
            request,
            _("Payments are not enabled for this property: enable them in Settings > Payments first."),
        )
        return HttpResponseRedirect(reverse("budgets:assessments", args=[prop.pk]))
    today = today_in(prop.timezone)
    category_choices = [(c.pk, str(c.display_name)) for c in assessments.assessment_categories(prop)]
    may_publish = Action.PUBLISH_INVOICE in request.allowed
    kwargs: dict[str, Any] = {"today": today, "categories": category_choices, "may_publish": may_publish}
    if request.method == "GET":
        form = AssessmentForm(initial={"category": assessments.default_category(prop).pk}, **kwargs)
        return render(request, "finances/assessment_create.html", {"form": form})
    form = AssessmentForm(request.POST, **kwargs)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        d = form.cleaned_data
        decision: dict[str, Any] = {
            "description": d["description"],
            "total": d["total"],
            "split_rule": d["split_rule"],
            "instalment_count": d["instalment_count"],
            "first_due_date": d["first_due_date"],
            "category_id": d["category"],
        }
        try:
            plan = assessments.plan_assessment(property=prop, **decision)
            if request.POST.get("action") == "create":
                publish = d["publish"] == PublishChoice.PUBLISH
                assessment = assessments.create_special_assessment(
                    actor=request.user,
                    property=prop,
                    publish=publish,
                    notify_resident=bool(d.get("notify_resident")),
                    creation_token=d.get("token"),
                    **decision,
                )
                count = plan.invoice_count
                text = (
                    ngettext(
                        "%(count)d invoice was created and published.",
                        "%(count)d invoices were created and published.",
                        count,
                    )
                    if publish
                    else ngettext(
                        "%(count)d draft invoice was created. Review it, then publish it.",
                        "%(count)d draft invoices were created. Review them, then publish them.",
                        count,
                    )
                ) % {"count": count}
                messages.success(request, text)
                return HttpResponseRedirect(
                    reverse("budgets:assessment_detail", args=[prop.pk, assessment.pk])
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except InvalidTransition as exc:
            form.add_error(None, str(exc.message))
        else:
            context["plan"] = plan
            context["publish"] = d["publish"] == PublishChoice.PUBLISH
    return render(request, "finances/assessment_create.html", context)


@require_GET
@property_view()
def assessment_detail(request: PropertyRequest, assessment_id: int) -> HttpResponse:
    assessment = assessments.get_assessment(request.property, assessment_id)
    instalments = list(assessment.instalments.select_related("batch").order_by("number"))
    return render(
        request,
        "finances/assessment_detail.html",
        {
            "assessment": assessment,
            "instalments": instalments,
            "invoices": assessments.assessment_invoices(assessment),
        },
    )


@property_view()  # type: ignore[arg-type]  # may be streamed
def budget_contributions_export(
    request: PropertyRequest, budget_id: int
) -> HttpResponse | StreamingHttpResponse:
    """The contributions table as the page shows it (each unit's yearly and monthly part per fund, the
    totals row equal to the budget), as CSV, fr-CA CSV or XLSX for the assembly's documents."""
    prop = request.property
    budget = budget_reads.get_budget(prop, budget_id)
    table, error = _table_or_error(budget)
    if table is None:
        raise Http404(error)
    yearly, monthly = _("Yearly"), _("Monthly")
    columns = [Column(pgettext("invoice", "Unit")), Column(_("Share (%)"), Kind.NUMBER)]
    for fund in table.funds:
        columns += [
            Column(f"{fund.name} — {yearly}", Kind.MONEY),
            Column(f"{fund.name} — {monthly}", Kind.MONEY),
        ]
    total = pgettext("invoice card", "Total")
    columns += [Column(f"{total} — {yearly}", Kind.MONEY), Column(f"{total} — {monthly}", Kind.MONEY)]
    rows: list[list[Cell]] = []
    for row in table.rows:
        cells: list[Cell] = [row.number, row.share]
        for y, m in row.pairs:
            cells += [y, m]
        rows.append([*cells, row.yearly_total, row.monthly_total])
    totals: list[Cell] = [total, None]
    for fund in table.funds:
        totals += [fund.budget, fund.monthly_total]
    rows.append([*totals, table.total, table.monthly_total])
    return table_response(
        Table(title=_("Contributions by unit"), columns=columns, rows=rows),
        filename=f"{_('contributions')}-{prop.pk}-{budget.fiscal_year}",
        fmt=requested_format(request),
    )
