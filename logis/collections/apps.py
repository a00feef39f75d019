from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollectionsConfig(AppConfig):
    name = "logis.collections"
    label = "collections"
    verbose_name = _("Reminders and late fees")

    def ready(self) -> None:
        from logis.collections.late_fees import apply_late_fees
        from logis.collections.reminders import send_due_reminders
        from logis.core import scheduler

        scheduler.register("collections.reminders", send_due_reminders)
        scheduler.register("collections.late_fees", apply_late_fees)
