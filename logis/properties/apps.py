from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PropertiesConfig(AppConfig):
    name = "logis.properties"
    label = "properties"
    verbose_name = _("Properties")

    def ready(self) -> None:
        from logis.properties import audit_display  # noqa: F401 - registers the journal's labels of our verbs
