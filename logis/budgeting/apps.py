from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BudgetingConfig(AppConfig):
    """Budgets, the contributions they fix, their recurring dues and special assessments (decision 0023),
    and the invoice-lines CSV: above billing and invoicing, which they bill through (decision 0027). The
    models stay in ``logis.finances`` (its migrations), which invoicing reads for funds and categories."""

    name = "logis.budgeting"
    label = "budgeting"
    verbose_name = _("Budgets")

    def ready(self) -> None:
        from logis.billing.recurring import register_budget_dues
        from logis.budgeting.dues import budget_month_rows, budget_of, write_budget_month

        # The recurring dues job bills an adopted budget's contributions through these (decision 0023).
        register_budget_dues(
            budget_of=budget_of, month_rows=budget_month_rows, write_month=write_budget_month
        )
