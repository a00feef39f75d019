from django.urls import path

from logis.budgeting.exports import invoice_lines_csv
from logis.reports import income, ledger_views, views

app_name = "reports"

urlpatterns = [
    path("invoices.csv", views.invoices_csv, name="invoices_csv"),
    path("payments.csv", views.payments_csv, name="payments_csv"),
    path("invoice-lines.csv", invoice_lines_csv, name="invoice_lines_csv"),
    path("trial-balance/", ledger_views.trial_balance, name="trial_balance"),
    path("journal/", ledger_views.journal, name="journal"),
    path("income/", income.income, name="income"),
    path("income/export/", income.income_export, name="income_export"),
]
