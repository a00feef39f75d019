"""Rapports > « Plan comptable »: the property's ledger accounts with their codes and their names in the
exports; an administrator or treasurer changes them through ``logis.ledger.accounts.update_account``
(decision 0035). Thin views."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from logis.accounts.models import User
from logis.core import errors
from logis.core.forms import add_service_errors
from logis.core.permissions import Action
from logis.ledger.accounts import CODE_MAX, EXPORT_NAME_MAX, chart_of_accounts, update_account
from logis.ledger.models import Account
from logis.properties.access import PropertyRequest, property_view


class AccountForm(forms.Form):
    # Lengths and patterns are the service's rules (one set of messages); maxlength helps the browser.
    code = forms.CharField(
        label=gettext_lazy("Code"),
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"maxlength": str(CODE_MAX), "autocomplete": "off"}),
    )
    export_name = forms.CharField(
        label=gettext_lazy("Name in exports"),
        required=False,
        strip=False,
        help_text=gettext_lazy(
            "The account's name in your own books, for example in QuickBooks Online (« Parent:Sub-account » "
            "for a sub-account). Leave empty to use Logis's name."
        ),
        widget=forms.TextInput(attrs={"maxlength": str(EXPORT_NAME_MAX), "autocomplete": "off"}),
    )

    def __init__(self, data: Any = None, *, account: Account) -> None:
        super().__init__(data, initial={"code": account.code, "export_name": account.export_name})


def _actor(request: PropertyRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@require_http_methods(["GET"])
@property_view(Action.VIEW_REPORTS)
def chart(request: PropertyRequest) -> HttpResponse:
    accounts = list(chart_of_accounts(property=request.property))
    context = {"accounts": accounts, "may_change": Action.MANAGE_FINANCES in request.allowed}
    return render(request, "reports/chart_of_accounts.html", context)


@require_http_methods(["GET", "POST"])
@property_view(Action.MANAGE_FINANCES)
def account_edit(request: PropertyRequest, account_id: int) -> HttpResponse:
    account = chart_of_accounts(property=request.property).filter(pk=account_id).first()
    if account is None:
        raise errors.NotFound(_("This account does not exist."))
    form = AccountForm(request.POST if request.method == "POST" else None, account=account)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            saved = update_account(
                actor=_actor(request),
                property=request.property,
                account_id=account.pk,
                code=form.cleaned_data["code"],
                export_name=form.cleaned_data["export_name"],
            )
        except errors.ValidationError as exc:
            add_service_errors(form, exc)
            status = 400
        else:
            messages.success(
                request,
                _("The account « %(name)s » was saved with the code %(code)s.")
                % {"name": saved.display_name, "code": saved.code},
            )
            return redirect("reports:chart", request.property.pk)
    return render(request, "reports/account_form.html", {"account": account, "form": form}, status=status)
