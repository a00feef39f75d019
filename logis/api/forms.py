from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from logis.api.services import NAME_MAX
from logis.core.forms import DateField, StyledForm


class ApiTokenForm(StyledForm):
    name = forms.CharField(
        label=pgettext_lazy("api token", "Name"),
        max_length=NAME_MAX,
        help_text=_("What the token is for, for example “Accounting” or “Owner portal”."),
    )
    expires_on = DateField(
        label=_("Expiry date (optional)"),
        required=False,
        help_text=_("The token stops working at the end of this day. Empty: it works until you revoke it."),
    )
