"""``manage.py verify_summaries [--property ID]``: recompute the summary rows the pages read (invoices by
status and due date, payments by kind, method and status; docs/decisions/0033) from the invoices and
payments themselves, print every difference, and exit 1 if there is any."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from logis.invoicing.totals import invoice_total_mismatches
from logis.payments.totals import payment_total_mismatches


class Command(BaseCommand):
    help = "Compare the summary rows with a full recomputation from the records; exit 1 if any differ."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--property", type=int, help="One property's id (default: every property).")

    def handle(self, *args: Any, **options: Any) -> None:
        property_id = options["property"]
        problems = invoice_total_mismatches(property_id) + payment_total_mismatches(property_id)
        for problem in problems:
            self.stdout.write(problem)
        if problems:
            raise CommandError(
                f"The summaries differ from the invoices and payments in {len(problems)} places."
            )
        self.stdout.write("The summaries agree with the invoices and payments.")
