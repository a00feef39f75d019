"""The property pages of this app (units, residents, set-up). They are served under the ``properties``
namespace by ``logis.dashboard.urls``, beside the dashboard's and the settings' pages."""

from django.urls import include, path

from logis.properties import resident_views as residents
from logis.properties import setup_views, unit_views

urlpatterns = [
    path("new/", setup_views.new_property, name="new"),
    path("<int:property_id>/units/", unit_views.units, name="units"),
    path("<int:property_id>/units/add/", unit_views.unit_add, name="unit_add"),
    path("<int:property_id>/units/import/", include("logis.imports.urls")),
    path("<int:property_id>/units/<int:unit_id>/edit/", unit_views.unit_edit, name="unit_edit"),
    path("<int:property_id>/residents/", residents.residents, name="residents"),
    path("<int:property_id>/residents/add/", residents.resident_add, name="resident_add"),
    path(
        "<int:property_id>/residents/<int:resident_id>/",
        residents.resident_detail,
        name="resident_detail",
    ),
    path(
        "<int:property_id>/residents/<int:resident_id>/edit/",
        residents.resident_edit,
        name="resident_edit",
    ),
    path(
        "<int:property_id>/residents/<int:resident_id>/invite/",
        residents.resident_invite,
        name="resident_invite",
    ),
    path(
        "<int:property_id>/links/<int:occupancy_id>/unlink/",
        residents.occupancy_unlink,
        name="occupancy_unlink",
    ),
    path(
        "<int:property_id>/links/<int:occupancy_id>/primary/",
        residents.occupancy_make_primary,
        name="occupancy_make_primary",
    ),
    path(
        "<int:property_id>/links/<int:occupancy_id>/emails/",
        residents.occupancy_emails,
        name="occupancy_emails",
    ),
    path("<int:property_id>/settings/property/", setup_views.property_settings, name="property_settings"),
]
