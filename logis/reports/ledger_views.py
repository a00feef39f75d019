"""Rapports > « Balance de vérification » (trial balance as of a date) and « Journal » (the ledger's
entries, newest first, paged by cursor). Read-only; whoever may see the reports sees them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from logis.core.dates import today_in
from logis.core.permissions import Action
from logis.ledger import selectors
from logis.properties.access import PropertyRequest, property_view


class AsOfForm(forms.Form):
    as_of = forms.DateField(
        label=_("As of"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a valid date.")},
    )

    def clean_as_of(self) -> dt.date | None:
        value: dt.date | None = self.cleaned_data.get("as_of")
        if value is not None and not dt.date(1900, 1, 1) <= value <= dt.date(9999, 12, 30):
            raise forms.ValidationError(_("Enter a valid date."))
        return value


@property_view(Action.VIEW_REPORTS)
def trial_balance(request: PropertyRequest) -> HttpResponse:
    prop = request.property
    today = today_in(prop.timezone)
    form = AsOfForm(request.GET or None, initial={"as_of": today})
    as_of = today
    if form.is_bound and form.is_valid() and form.cleaned_data["as_of"]:
        as_of = form.cleaned_data["as_of"]
    balance = selectors.trial_balance(property=prop, as_of=as_of)
    funds = selectors.fund_revenue(property=prop, as_of=as_of)
    status = 400 if form.is_bound and not form.is_valid() else 200
    context = {"form": form, "balance": balance, "funds": funds, "export_query": f"as_of={as_of.isoformat()}"}
    return render(request, "reports/trial_balance.html", context, status=status)


def journal_context(request: PropertyRequest, *, export_form: forms.Form | None = None) -> dict[str, Any]:
    """The Journal page: a page of entries and the form that downloads the journal (decision 0035)."""
    from logis.reports.ledger_exports import journal_export_form  # it imports this module

    page = selectors.journal_page(
        property=request.property, after=request.GET.get("after"), before=request.GET.get("before")
    )
    return {"page": page, "export_form": export_form or journal_export_form(request.property)}


@property_view(Action.VIEW_REPORTS)
def journal(request: PropertyRequest) -> HttpResponse:
    return render(request, "reports/journal.html", journal_context(request))
