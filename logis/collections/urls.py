from django.urls import path

from logis.collections import views

app_name = "collections"

urlpatterns = [
    path("settings/", views.policy_settings, name="settings"),
    path("invoices/<int:invoice_id>/remind/", views.send_reminder, name="remind"),
]
