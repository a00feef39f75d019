from django.urls import path

from logis.reports import views

app_name = "reports"

urlpatterns = [
    path("invoices.csv", views.invoices_csv, name="invoices_csv"),
    path("payments.csv", views.payments_csv, name="payments_csv"),
]
