"""``manage.py rebuild_ledger``: post the entries of properties with no journal yet; ``--check``: list
every difference between the ledger and the invoices, payments and credit it mirrors (exit 1 if any)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from logis.properties.models import Property
from logis.reports.ledger_rebuild import backfill_property, ledger_mismatches


class Command(BaseCommand):
    help = "Post the ledger of properties that have none; --check compares the ledger with the records."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="Only compare; write nothing.")
        parser.add_argument("--property", type=int, help="One property's id.")

    def handle(self, *args: Any, **options: Any) -> None:
        properties = Property.objects.order_by("id")
        if options["property"]:
            properties = properties.filter(pk=options["property"])
        problems: list[str] = []
        for prop in properties:
            if not options["check"]:
                posted = backfill_property(prop)
                if posted:
                    self.stdout.write(f"{prop.pk} {prop}: {posted} entries posted")
            problems += ledger_mismatches(prop)
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"The ledger disagrees with the records in {len(problems)} places.")
        self.stdout.write("The ledger agrees with the invoices, payments and credit.")
