"""The ``properties`` namespace (``/p/``): the dashboard's pages and the settings here, the reports page,
and the units', residents' and set-up pages of ``logis.properties.urls``. URL names are unchanged."""

from django.urls import include, path

from logis.dashboard import settings_views, views
from logis.reports import views as reports_views

app_name = "properties"

urlpatterns = [
    path("", views.property_list, name="list"),
    path("<int:property_id>/", views.dashboard, name="dashboard"),
    path("<int:property_id>/units/<int:unit_id>/", views.unit_detail, name="unit_detail"),
    path("<int:property_id>/reports/", reports_views.reports, name="reports"),
    path("<int:property_id>/settings/", settings_views.settings_index, name="settings"),
    path("<int:property_id>/settings/payments/", settings_views.payment_settings, name="payment_settings"),
    path("<int:property_id>/settings/security/", settings_views.security_settings, name="security_settings"),
    path("<int:property_id>/settings/audit/", settings_views.audit_log, name="audit"),
    path("<int:property_id>/settings/members/", settings_views.members, name="members"),
    path(
        "<int:property_id>/settings/members/invitations/<int:invitation_id>/revoke/",
        settings_views.invitation_revoke_confirm,
        name="invitation_revoke",
    ),
    path("", include("logis.properties.urls")),
]
