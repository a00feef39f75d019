from django.urls import path

from logis.invoicing import edit_views, views

app_name = "invoicing"

urlpatterns = [
    path("", views.invoice_list, name="list"),
    path("new/", edit_views.invoice_create, name="create"),
    path("new/unit-warning/", views.unit_warning, name="unit_warning"),
    path("publish/", views.invoice_bulk_publish, name="bulk_publish"),
    path("<int:invoice_id>/", views.invoice_detail, name="detail"),
    path("<int:invoice_id>/pdf/", views.invoice_pdf, name="pdf"),
    path("<int:invoice_id>/edit/", edit_views.invoice_edit, name="edit"),
    path("<int:invoice_id>/publish/", views.invoice_publish, name="publish"),
    path("<int:invoice_id>/void/", views.invoice_void, name="void"),
]
