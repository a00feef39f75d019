from django.urls import path

from logis.statements import views

app_name = "statements"

urlpatterns = [
    path("p/<int:property_id>/units/<int:unit_id>/statement/", views.unit_statement, name="unit"),
    path("p/<int:property_id>/units/<int:unit_id>/statement/csv/", views.unit_statement_csv, name="unit_csv"),
    path("portal/units/<int:unit_id>/statement/", views.portal_statement, name="portal"),
    path("portal/units/<int:unit_id>/statement/csv/", views.portal_statement_csv, name="portal_csv"),
]
