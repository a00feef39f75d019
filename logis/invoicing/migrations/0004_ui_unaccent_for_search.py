"""PostgreSQL's unaccent extension, for the Factures search (logis.core.search.Fold). SQLite gets a Python
function on each connection instead, so nothing is done there."""

from typing import Any

from django.db import migrations


def create_unaccent(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")


class Migration(migrations.Migration):
    dependencies = [("invoicing", "0003_created_by_system")]

    operations = [migrations.RunPython(create_unaccent, migrations.RunPython.noop, elidable=False)]
