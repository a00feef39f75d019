"""Trigram indexes (PostgreSQL's pg_trgm) on the folded unit numbers, resident names and emails: the
portfolio search and the Factures search find them by index instead of folding every row of every property
(docs/decisions/0044). Built CONCURRENTLY, so a deployment does not block writes while they are built.
Nothing on SQLite."""

from typing import Any

from django.db import migrations

INDEXES = {
    "unit_number_folded_trgm": ("properties_unit", "number"),
    "resident_name_folded_trgm": ("properties_resident", "name"),
    "resident_email_folded_trgm": ("properties_resident", "email"),
}


def _concurrently(schema_editor: Any) -> str:
    # Not when a caller (a test migrating back and forth) runs the migration inside its own transaction.
    return "" if schema_editor.connection.in_atomic_block else "CONCURRENTLY "


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, column) in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX {_concurrently(schema_editor)}IF NOT EXISTS {name} "
            f"ON {table} USING gin (logis_fold({column}) gin_trgm_ops)"
        )


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("properties", "0008_merge_autopay_and_province"), ("core", "0002_fold_function")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
