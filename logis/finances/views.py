"""Paramètres > Fonds et catégories: funds, charge categories and tax numbers. Thin views."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from logis.accounts.models import User
from logis.core import errors
from logis.core.permissions import Action
from logis.finances import selectors, services
from logis.finances.forms import CategoryForm, FundForm, TaxRegistrationForm, add_domain_errors
from logis.finances.models import ChargeCategory, Fund
from logis.properties.access import PropertyRequest, property_view


def _actor(request: PropertyRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _funds(request: PropertyRequest) -> list[Fund]:
    return list(selectors.funds(request.property).annotate(category_count=Count("categories")))


def _settings_context(
    request: PropertyRequest,
    *,
    fund_form: FundForm | None = None,
    category_form: CategoryForm | None = None,
    tax_form: TaxRegistrationForm | None = None,
) -> dict[str, Any]:
    prop = request.property
    funds = _funds(request)
    categories = list(selectors.categories(prop).annotate(line_count=Count("invoice_lines")))
    may_change = Action.MANAGE_FINANCES in request.allowed
    return {
        "funds": funds,
        "categories": categories,
        "may_change": may_change,
        "fund_form": fund_form or FundForm(prefix="fund"),
        "category_form": category_form or CategoryForm(funds=funds, prefix="category"),
        "tax_form": tax_form or TaxRegistrationForm(registration=selectors.tax_registration(prop)),
    }


@require_http_methods(["GET"])
@property_view()
def settings_page(request: PropertyRequest) -> HttpResponse:
    return render(request, "finances/settings.html", _settings_context(request))


@require_http_methods(["POST"])
@property_view(Action.MANAGE_FINANCES)
def fund_add(request: PropertyRequest) -> HttpResponse:
    form = FundForm(request.POST, prefix="fund")
    if form.is_valid():
        try:
            fund = services.create_fund(
                actor=_actor(request), property=request.property, name=form.cleaned_data["name"]
            )
        except errors.ValidationError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("The fund « %(name)s » was added.") % {"name": fund.display_name})
            return redirect("finances:settings", request.property.pk)
    return render(request, "finances/settings.html", _settings_context(request, fund_form=form))


def _fund(request: PropertyRequest, fund_id: int) -> Fund:
    fund = selectors.funds(request.property).filter(pk=fund_id).first()
    if fund is None:
        raise errors.NotFound(_("This fund does not exist."))
    return fund


@require_http_methods(["GET", "POST"])
@property_view(Action.MANAGE_FINANCES)
def fund_edit(request: PropertyRequest, fund_id: int) -> HttpResponse:
    fund = _fund(request, fund_id)
    form = FundForm(request.POST if request.method == "POST" else None, fund=fund)
    if request.method == "POST" and form.is_valid():
        try:
            fund = services.update_fund(
                actor=_actor(request),
                property=request.property,
                fund_id=fund.pk,
                name=form.cleaned_data["name"],
                is_active=form.cleaned_data.get("is_active", True),
            )
        except errors.ValidationError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("The fund « %(name)s » was saved.") % {"name": fund.display_name})
            return redirect("finances:settings", request.property.pk)
    context = {"fund": fund, "form": form, "may_delete": not services.fund_in_use(fund)}
    return render(request, "finances/fund_form.html", context)


@require_http_methods(["GET", "POST"])
@property_view(Action.MANAGE_FINANCES)
def fund_delete(request: PropertyRequest, fund_id: int) -> HttpResponse:
    fund = _fund(request, fund_id)
    if request.method == "POST":
        try:
            services.delete_fund(actor=_actor(request), property=request.property, fund_id=fund.pk)
        except errors.InvalidTransition as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("The fund « %(name)s » was deleted.") % {"name": fund.display_name})
        return redirect("finances:settings", request.property.pk)
    if services.fund_in_use(fund):
        messages.error(request, _("This fund is in use: deactivate it instead."))
        return redirect("finances:fund_edit", request.property.pk, fund.pk)
    return render(request, "finances/confirm_delete.html", {"object_name": fund.display_name, "kind": "fund"})


@require_http_methods(["POST"])
@property_view(Action.MANAGE_FINANCES)
def category_add(request: PropertyRequest) -> HttpResponse:
    form = CategoryForm(request.POST, funds=_funds(request), prefix="category")
    if form.is_valid():
        data = form.cleaned_data
        try:
            category = services.create_category(
                actor=_actor(request),
                property=request.property,
                name=data["name"],
                fund_id=data["fund"],
                taxable=data["taxable"],
                is_default=data["is_default"],
            )
        except errors.ValidationError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(
                request, _("The category « %(name)s » was added.") % {"name": category.display_name}
            )
            return redirect("finances:settings", request.property.pk)
    return render(request, "finances/settings.html", _settings_context(request, category_form=form))


def _category(request: PropertyRequest, category_id: int) -> ChargeCategory:
    category = selectors.categories(request.property).filter(pk=category_id).first()
    if category is None:
        raise errors.NotFound(_("This category does not exist."))
    return category


@require_http_methods(["GET", "POST"])
@property_view(Action.MANAGE_FINANCES)
def category_edit(request: PropertyRequest, category_id: int) -> HttpResponse:
    category = _category(request, category_id)
    form = CategoryForm(
        request.POST if request.method == "POST" else None, funds=_funds(request), category=category
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            category = services.update_category(
                actor=_actor(request),
                property=request.property,
                category_id=category.pk,
                name=data["name"],
                fund_id=data["fund"],
                taxable=data["taxable"],
                is_active=data["is_active"],
                is_default=data["is_default"],
            )
        except errors.ValidationError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(
                request, _("The category « %(name)s » was saved.") % {"name": category.display_name}
            )
            return redirect("finances:settings", request.property.pk)
    context = {"category": category, "form": form, "may_delete": not services.category_in_use(category)}
    return render(request, "finances/category_form.html", context)


@require_http_methods(["GET", "POST"])
@property_view(Action.MANAGE_FINANCES)
def category_delete(request: PropertyRequest, category_id: int) -> HttpResponse:
    category = _category(request, category_id)
    if request.method == "POST":
        try:
            services.delete_category(
                actor=_actor(request), property=request.property, category_id=category.pk
            )
        except errors.InvalidTransition as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(
                request, _("The category « %(name)s » was deleted.") % {"name": category.display_name}
            )
        return redirect("finances:settings", request.property.pk)
    if services.category_in_use(category):
        messages.error(request, _("This category is in use: deactivate it instead."))
        return redirect("finances:category_edit", request.property.pk, category.pk)
    return render(
        request, "finances/confirm_delete.html", {"object_name": category.display_name, "kind": "category"}
    )


@require_http_methods(["POST"])
@property_view(Action.MANAGE_FINANCES)
def taxes(request: PropertyRequest) -> HttpResponse:
    form = TaxRegistrationForm(request.POST, registration=selectors.tax_registration(request.property))
    if form.is_valid():
        try:
            services.update_tax_registration(
                actor=_actor(request),
                property=request.property,
                gst_number=form.cleaned_data["gst_number"],
                qst_number=form.cleaned_data["qst_number"],
            )
        except errors.ValidationError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("The tax registration numbers were saved."))
            return redirect("finances:settings", request.property.pk)
    return render(request, "finances/settings.html", _settings_context(request, tax_form=form))
