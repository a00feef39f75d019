from django.urls import path

from logis.budgeting.exports import invoice_lines_csv
from logis.reports import chart_views, income, ledger_exports, ledger_views, views

app_name = "reports"

urlpatterns = [
    path("aging/export/", views.aging_export, name="aging_export"),
    path("invoices.csv", views.invoices_csv, name="invoices_csv"),
    path("payments.csv", views.payments_csv, name="payments_csv"),
    path("invoice-lines.csv", invoice_lines_csv, name="invoice_lines_csv"),
    path("trial-balance/", ledger_views.trial_balance, name="trial_balance"),
    path("trial-balance/export/", ledger_exports.trial_balance_export, name="trial_balance_export"),
    path("journal/", ledger_views.journal, name="journal"),
    path("journal/export/", ledger_exports.journal_export, name="journal_export"),
    path("funds/", ledger_exports.fund_balances, name="fund_balances"),
    path("funds/export/", ledger_exports.fund_balances_export, name="fund_balances_export"),
    path("accounts/", chart_views.chart, name="chart"),
    path("accounts/<int:account_id>/", chart_views.account_edit, name="account_edit"),
    path("income/", income.income, name="income"),
    path("income/export/", income.income_export, name="income_export"),
]
