from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "logis.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from logis.core import scheduler
        from logis.notifications.delivery import recover_deliveries

        scheduler.register("notifications.recover_deliveries", recover_deliveries)
