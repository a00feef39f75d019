"""The pages that put the domain apps together: « Mes propriétés » (each property's balances), a
property's dashboard (the reports' figures) and a unit's page (its residents, invoices and credit).

They live above ``properties``, ``invoicing``, ``payments`` and ``reports`` (docs/architecture.md), so those
apps need not import one another to show a page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from logis.accounts.models import User
from logis.accounts.organizations import organizations_administered
from logis.accounts.selectors import has_two_factor
from logis.core import errors
from logis.core.dates import today_in
from logis.core.forms import add_service_errors
from logis.core.links import path_maker
from logis.core.money import format_amount
from logis.core.permissions import Action, Role
from logis.core.views import posted
from logis.dashboard.portfolio import EMPTY as EMPTY_SUMMARY
from logis.dashboard.portfolio import PropertySummary, portfolio_summaries, search_portfolio
from logis.invoicing.models import Invoice
from logis.payments.selectors import unit_autopay, unit_credit
from logis.properties import selectors, services
from logis.properties.access import PropertyRequest, property_view, require_action
from logis.properties.forms import ExistingResidentForm, PrimaryResidentForm
from logis.properties.models import Property, Resident
from logis.reports.dashboard import dashboard_overview

# --- Property list and dashboard --------------------------------------------------------------------


@login_required
def property_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    # Only what the page shows: 300 properties' every column cost about 3 ms to read and build.
    properties = list(
        selectors.properties_of(user).only("id", "name", "address", "timezone", "require_staff_mfa")
    )
    is_resident = Resident.objects.filter(user=user).exists()
    can_create = organizations_administered(user).exists()
    if not properties and is_resident and not can_create:
        # A resident has no management role: their place is the resident portal.
        return redirect("portal:home")
    requiring = [p for p in properties if p.require_staff_mfa]
    # Each property's open and overdue balances and drafts, in one query for all of them.
    summaries = portfolio_summaries(properties)
    search = search_portfolio(properties=properties, query=request.GET.get("q", ""))
    # A board member who also owns a unit reaches their own invoices from here.
    return render(
        request,
        "properties/property_list.html",
        {
            "properties": properties,
            "rows": portfolio_rows(properties, summaries),
            "is_resident": is_resident,
            "two_factor_needed_by": requiring if requiring and not has_two_factor(user) else [],
            "can_create": can_create,
            "search": search,
        },
    )


# One line of « Mes propriétés ». A firm's 300 properties rendered by the template engine, a link, a plural
# and two amounts per row, cost about 90 ms of CPU (27 ms with every value computed beforehand); written
# here, every text from the database escaped, about 4 ms. Decision 0041.
PORTFOLIO_ROW = (
    '<tr>\n    <th scope="row" class="fw-normal">\n'
    '      <a class="fw-semibold" href="{url}">{name}</a>\n'
    '      <span class="badge text-bg-light border">{role}</span>\n'
    '      <span class="d-block small text-body-secondary">{place}</span>\n    </th>\n'
    '    <td class="text-end amount">{open}</td>\n'
    '    <td class="text-end amount{late}">{overdue}</td>\n'
    '    <td class="text-end">{drafts}</td>\n  </tr>\n'
)


def portfolio_rows(properties: list[Property], summaries: dict[int, PropertySummary]) -> SafeString:
    """The table's rows with each property's balances, the name, address and role escaped."""
    language = translation.get_language()
    roles = {key: escape(str(label)) for key, label in Role.choices}
    dashboard_path = path_maker("properties:dashboard")
    units_label: dict[int, str] = {}  # the plural of a few distinct unit counts, translated once each
    rows = []
    for p in properties:
        summary = summaries.get(p.pk, EMPTY_SUMMARY)
        count: int = p.unit_count  # type: ignore[attr-defined]
        if count not in units_label:
            units_label[count] = escape(ngettext("%(n)s unit", "%(n)s units", count) % {"n": count})
        rows.append(
            PORTFOLIO_ROW.format(
                url=dashboard_path(p.pk),
                name=escape(p.name),
                role=roles.get(p.my_role, ""),  # type: ignore[attr-defined]
                place=f"{escape(p.address)} · {units_label[count]}" if p.address else units_label[count],
                # Amounts are digits, separators and « $ »; the count an int: nothing to escape.
                open=format_amount(summary.open.amount, language),
                late=" text-danger" if summary.overdue.count else "",
                overdue=format_amount(summary.overdue.amount, language),
                drafts=int(summary.drafts.count),
            )
        )
    # Every text from the database is escaped above.
    return mark_safe("".join(rows))


@property_view()
def dashboard(request: PropertyRequest) -> HttpResponse:
    prop = request.property
    counts = selectors.dashboard_counts(property=prop)
    context = {
        "counts": counts,
        "overview": dashboard_overview(property=prop, today=today_in(prop.timezone)),
        "without_primary": selectors.units_without_primary(property=prop, limit=10)
        if counts.units_without_primary
        else [],
        # A property without units yet opens on what to do first.
        "getting_started": selectors.getting_started(property=prop) if not counts.units else None,
    }
    return render(request, "properties/dashboard.html", context)


@property_view()
@require_http_methods(["GET", "POST"])
def unit_detail(request: PropertyRequest, unit_id: int) -> HttpResponse:
    prop = request.property
    unit = selectors.get_unit(property=prop, unit_id=unit_id)
    occupancies = selectors.unit_occupancies(unit=unit)
    current = next((o for o in occupancies if o.is_primary), None)
    op = request.POST.get("op", "primary") if request.method == "POST" else None
    form = PrimaryResidentForm(
        posted(request) if op == "primary" else None,
        residents=[(o.resident_id, o.resident.name) for o in occupancies],
        initial={"resident": current.resident_id if current else None},
    )
    link_form = None
    if Action.MANAGE_RESIDENTS in request.allowed:
        linked = {o.resident_id for o in occupancies}
        others = Resident.objects.filter(property=prop).exclude(pk__in=linked).order_by("name", "pk")
        link_form = ExistingResidentForm(
            posted(request) if op == "link" else None,
            residents=[(r.pk, r.name) for r in others.only("pk", "name")],
            prefix="existing",
        )
    if request.method == "POST":
        require_action(request, Action.MANAGE_RESIDENTS)
        if op == "link" and link_form is not None and link_form.is_valid():
            try:
                occupancy = services.link_resident(
                    actor=request.user,
                    property=prop,
                    resident_id=link_form.cleaned_data["resident"],
                    unit_id=unit.pk,
                    kind=link_form.cleaned_data["kind"],
                )
            except errors.ValidationError as exc:
                add_service_errors(link_form, exc)
            else:
                messages.success(
                    request,
                    _("%(name)s is now linked to unit %(unit)s.")
                    % {"name": occupancy.resident, "unit": unit},
                )
                return redirect("properties:unit_detail", prop.pk, unit.pk)
        elif op == "primary" and form.is_valid():
            try:
                services.set_primary_resident(
                    actor=request.user,
                    property=prop,
                    unit_id=unit.pk,
                    resident_id=form.cleaned_data["resident"],
                )
            except errors.ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request, _("The primary resident of unit %(number)s was saved.") % {"number": unit}
                )
                return redirect("properties:unit_detail", prop.pk, unit.pk)
    invoice_count = Invoice.objects.filter(property=prop, unit=unit).count()
    return render(
        request,
        "properties/unit_detail.html",
        {
            "unit": unit,
            "occupancies": occupancies,
            "primary": current,
            "form": form,
            "link_form": link_form,
            "invoice_count": invoice_count,
            "credit": unit_credit(unit=unit),
            "autopay": unit_autopay(unit=unit),
        },
    )
