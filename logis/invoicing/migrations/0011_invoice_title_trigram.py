"""A trigram index (PostgreSQL's pg_trgm) on the folded invoice titles: the Factures search finds a rare
title by index instead of folding every invoice of the property's history (about 0.9 s at 200,000
invoices; docs/decisions/0044). Built CONCURRENTLY, so a deployment does not block billing while it is
built. Nothing on SQLite."""

from typing import Any

from django.db import migrations


def _concurrently(schema_editor: Any) -> str:
    # Not when a caller (a test migrating back and forth) runs the migration inside its own transaction.
    return "" if schema_editor.connection.in_atomic_block else "CONCURRENTLY "


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX {_concurrently(schema_editor)}IF NOT EXISTS invoice_title_folded_trgm "
            "ON invoicing_invoice USING gin (logis_fold(title) gin_trgm_ops)"
        )


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS invoice_title_folded_trgm")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("invoicing", "0010_invoice_totals_by_month"), ("core", "0002_fold_function")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
