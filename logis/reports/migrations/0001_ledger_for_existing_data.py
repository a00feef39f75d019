"""Existing invoices, payments and credit entries get their journal entries (decision 0029).

Runs the same ``backfill_property`` as ``manage.py rebuild_ledger`` with today's models: the records it
reads are those of the migrations named below. A database with no invoice and no credit (a new one, the
tests) has nothing to post and reads nothing else. A property that already has a journal is skipped.
"""

from django.db import migrations


def forward(apps, schema_editor):
    from logis.invoicing.models import Invoice
    from logis.payments.models import UnitCredit
    from logis.reports.ledger_rebuild import backfill_all

    if Invoice.objects.exists() or UnitCredit.objects.exists():
        backfill_all()


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0002_ledger_database_backstops"),
        ("invoicing", "0008_merge_lines_and_unsettled_index"),
        # every column the backfill reads with today's models exists first (decision 0029)
        ("payments", "0010_merge_autopay_and_remittances"),
        ("properties", "0008_merge_autopay_and_province"),
        ("imports", "0002_import_preview_expired"),
        ("finances", "0003_budgets_and_special_assessments"),
        ("banking", "0002_deposit_item_remittance"),
    ]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop, elidable=True)]
