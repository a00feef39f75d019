from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "logis.imports"
    label = "imports"
    verbose_name = _("Imports")

    def ready(self) -> None:
        from logis.core import scheduler
        from logis.imports.retention import purge_files

        scheduler.register("imports.purge_files", purge_files)
        # The audit log (Paramètres > Journal) names our events and their counts; registered from here so
        # that the properties app needs no change for it.
        from logis.core.audit import Verb, label_verbs
        from logis.properties import audit_display

        label_verbs(
            {Verb.IMPORT_APPLIED: _("Units and residents imported"), Verb.IMPORT_UNDONE: _("Import undone")}
        )
        audit_display.FIELDS_BY_TYPE.setdefault("imports.importbatch", {}).update(
            {
                "file": _("File"),
                "rows": _("Rows"),
                "refused": _("Refused rows"),
                "units_created": _("Units created"),
                "units_updated": _("Units updated"),
                "units_unchanged": _("Units unchanged"),
                "residents_created": _("Residents created"),
                "residents_updated": _("Residents updated"),
                "links_created": _("Links created"),
                "links_updated": _("Links updated"),
                "balances_created": _("Opening balances"),
                "balances_replaced": _("Opening balances replaced"),
                "units_kept": _("Units kept (voided opening balance)"),
            }
        )
