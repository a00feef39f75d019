"""Every existing invoice becomes one line of its whole amount (no tax: nothing was taxed before).

Its category: late fee for a late-fee invoice, opening balance for an imported opening balance, the
property's default category (condo fees) for everything else (batches, recurring dues, one-off invoices).
"""

from django.db import migrations

from logis.finances.defaults import create_defaults


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    Invoice = apps.get_model("invoicing", "Invoice")
    InvoiceLine = apps.get_model("invoicing", "InvoiceLine")
    Fund = apps.get_model("finances", "Fund")
    ChargeCategory = apps.get_model("finances", "ChargeCategory")
    LateFee = apps.get_model("collections", "LateFee")
    OpeningBalance = apps.get_model("imports", "OpeningBalance")

    late_fee_ids = set(
        LateFee.objects.filter(fee_invoice__isnull=False).values_list("fee_invoice_id", flat=True)
    )
    opening_ids = set(
        OpeningBalance.objects.filter(invoice__isnull=False).values_list("invoice_id", flat=True)
    )
    categories: dict[tuple[int, str], int] = {}

    def category_id(property_id: int, code: str) -> int:
        key = (property_id, code)
        if key not in categories:
            create_defaults(property_id, Fund, ChargeCategory)
            qs = ChargeCategory.objects.filter(property_id=property_id)
            found = qs.filter(code=code).first() if code else None
            categories[key] = (found or qs.get(is_default=True)).pk
        return categories[key]

    with_lines = InvoiceLine.objects.values("invoice_id")
    batch: list = []
    for invoice in (
        Invoice.objects.exclude(pk__in=with_lines).only("pk", "property_id", "title", "amount").iterator()
    ):
        if invoice.pk in late_fee_ids:
            code = "late_fee"
        elif invoice.pk in opening_ids:
            code = "opening_balance"
        else:
            code = ""
        batch.append(
            InvoiceLine(
                invoice_id=invoice.pk,
                position=1,
                description=invoice.title[:200],
                category_id=category_id(invoice.property_id, code),
                amount=invoice.amount,
            )
        )
        if len(batch) >= 500:
            InvoiceLine.objects.bulk_create(batch)
            batch = []
    InvoiceLine.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0006_invoice_lines"),
        ("finances", "0002_finances_default_funds_and_categories"),
        ("collections", "0002_late_fee_nothing_to_bill"),
        ("imports", "0001_imports_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
