from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    """The top of the property pages: « Mes propriétés », the dashboard, a unit's page, the settings, the
    read-only admin and the demo. It may import every domain app; none imports it."""

    name = "logis.dashboard"
    label = "dashboard"
    verbose_name = _("Dashboard")
