from django.urls import include, path

from logis.properties import setup_views, views
from logis.reports import views as reports_views

app_name = "properties"

urlpatterns = [
    path("", views.property_list, name="list"),
    path("new/", setup_views.new_property, name="new"),
    path("<int:property_id>/", views.dashboard, name="dashboard"),
    path("<int:property_id>/units/", views.units, name="units"),
    path("<int:property_id>/units/add/", views.unit_add, name="unit_add"),
    path("<int:property_id>/units/import/", include("logis.imports.urls")),
    path("<int:property_id>/units/<int:unit_id>/", views.unit_detail, name="unit_detail"),
    path("<int:property_id>/units/<int:unit_id>/edit/", views.unit_edit, name="unit_edit"),
    path("<int:property_id>/residents/", views.residents, name="residents"),
    path("<int:property_id>/residents/add/", views.resident_add, name="resident_add"),
    path("<int:property_id>/residents/<int:resident_id>/", views.resident_detail, name="resident_detail"),
    path("<int:property_id>/residents/<int:resident_id>/edit/", views.resident_edit, name="resident_edit"),
    path(
        "<int:property_id>/residents/<int:resident_id>/invite/", views.resident_invite, name="resident_invite"
    ),
    path(
        "<int:property_id>/links/<int:occupancy_id>/unlink/", views.occupancy_unlink, name="occupancy_unlink"
    ),
    path(
        "<int:property_id>/links/<int:occupancy_id>/primary/",
        views.occupancy_make_primary,
        name="occupancy_make_primary",
    ),
    path(
        "<int:property_id>/links/<int:occupancy_id>/emails/", views.occupancy_emails, name="occupancy_emails"
    ),
    path("<int:property_id>/reports/", reports_views.reports, name="reports"),
    path("<int:property_id>/settings/", views.settings_index, name="settings"),
    path("<int:property_id>/settings/property/", setup_views.property_settings, name="property_settings"),
    path("<int:property_id>/settings/payments/", views.payment_settings, name="payment_settings"),
    path("<int:property_id>/settings/security/", views.security_settings, name="security_settings"),
    path("<int:property_id>/settings/audit/", views.audit_log, name="audit"),
    path("<int:property_id>/settings/members/", views.members, name="members"),
    path(
        "<int:property_id>/settings/members/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke_confirm,
        name="invitation_revoke",
    ),
]
