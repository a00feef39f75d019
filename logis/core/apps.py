from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "logis.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from logis.core import (
            checks,  # noqa: F401  (registers the deployment checks)
            search,  # noqa: F401  (registers the SQLite fold function)
        )
