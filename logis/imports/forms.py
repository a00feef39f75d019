from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from logis.imports.parsing import MAX_BYTES


class ImportFileForm(forms.Form):
    file = forms.FileField(
        label=_("File (CSV or XLSX)"),
        help_text=_(
            "At most 10 MB. Use the template: one row per resident, the unit's values on its first row."
        ),
        error_messages={"required": _("Choose a file."), "empty": _("The file is empty.")},
    )

    def clean_file(self) -> forms.Field:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(max)d MB: split it.") % {"max": MAX_BYTES // (1024 * 1024)}
            )
        return upload
