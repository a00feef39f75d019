from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "logis.billing"
    label = "billing"
    verbose_name = _("Batch billing and recurring dues")

    def ready(self) -> None:
        from logis.billing.recurring import run_recurring_dues
        from logis.core import scheduler

        scheduler.register("billing.recurring_dues", run_recurring_dues)
