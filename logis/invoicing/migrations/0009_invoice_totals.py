"""Summary rows of the invoices per property, status and due date, kept by database triggers in the same
transaction as every write of an invoice (docs/decisions/0033), and filled here from the existing invoices.

PostgreSQL: one AFTER row trigger; a change that moves an invoice from one row to another touches the two
rows in key order (property, status, due date), so two transactions moving invoices between the same two
rows in opposite directions (a payment and a reversal) take the row locks in the same order. Adding is an
upsert (``x = x + delta``): concurrent writers never lose an update. Removing is a plain UPDATE (the row
exists: the invoice was added to it), so SQLite's test flush (DELETE, any table order) never leaves rows.
"""

from decimal import Decimal

from django.db import migrations, models

FILL = """
INSERT INTO invoicing_invoicetotal
    (property_id, status, due_date, invoice_count, amount, amount_paid, settled_count)
SELECT property_id, status, due_date, COUNT(*), SUM(amount), SUM(amount_paid),
       SUM(CASE WHEN amount_paid >= amount THEN 1 ELSE 0 END)
  FROM invoicing_invoice GROUP BY property_id, status, due_date
"""

PG_FORWARD = """
CREATE FUNCTION invoicing_totals_move(p bigint, s varchar, d date, n integer, a numeric, ap numeric, sc integer)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF n > 0 THEN
        INSERT INTO invoicing_invoicetotal AS t
            (property_id, status, due_date, invoice_count, amount, amount_paid, settled_count)
        VALUES (p, s, d, n, a, ap, sc)
        ON CONFLICT (property_id, status, due_date) DO UPDATE SET
            invoice_count = t.invoice_count + EXCLUDED.invoice_count,
            amount = t.amount + EXCLUDED.amount,
            amount_paid = t.amount_paid + EXCLUDED.amount_paid,
            settled_count = t.settled_count + EXCLUDED.settled_count;
    ELSE
        UPDATE invoicing_invoicetotal SET
            invoice_count = invoice_count + n, amount = amount + a,
            amount_paid = amount_paid + ap, settled_count = settled_count + sc
         WHERE property_id = p AND status = s AND due_date = d;
    END IF;
END $$;
CREATE FUNCTION invoicing_invoice_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM invoicing_totals_move(NEW.property_id, NEW.status, NEW.due_date, 1, NEW.amount,
            NEW.amount_paid, (NEW.amount_paid >= NEW.amount)::int);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM invoicing_totals_move(OLD.property_id, OLD.status, OLD.due_date, -1, -OLD.amount,
            -OLD.amount_paid, -((OLD.amount_paid >= OLD.amount)::int));
    ELSIF (OLD.property_id, OLD.status, OLD.due_date) = (NEW.property_id, NEW.status, NEW.due_date) THEN
        IF OLD.amount <> NEW.amount OR OLD.amount_paid <> NEW.amount_paid THEN
            PERFORM invoicing_totals_move(NEW.property_id, NEW.status, NEW.due_date, 0,
                NEW.amount - OLD.amount, NEW.amount_paid - OLD.amount_paid,
                (NEW.amount_paid >= NEW.amount)::int - (OLD.amount_paid >= OLD.amount)::int);
        END IF;
    ELSIF (OLD.property_id, OLD.status, OLD.due_date) < (NEW.property_id, NEW.status, NEW.due_date) THEN
        PERFORM invoicing_totals_move(OLD.property_id, OLD.status, OLD.due_date, -1, -OLD.amount,
            -OLD.amount_paid, -((OLD.amount_paid >= OLD.amount)::int));
        PERFORM invoicing_totals_move(NEW.property_id, NEW.status, NEW.due_date, 1, NEW.amount,
            NEW.amount_paid, (NEW.amount_paid >= NEW.amount)::int);
    ELSE
        PERFORM invoicing_totals_move(NEW.property_id, NEW.status, NEW.due_date, 1, NEW.amount,
            NEW.amount_paid, (NEW.amount_paid >= NEW.amount)::int);
        PERFORM invoicing_totals_move(OLD.property_id, OLD.status, OLD.due_date, -1, -OLD.amount,
            -OLD.amount_paid, -((OLD.amount_paid >= OLD.amount)::int));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER invoicing_invoice_totals
    AFTER INSERT OR DELETE OR UPDATE OF property_id, status, due_date, amount, amount_paid
    ON invoicing_invoice FOR EACH ROW EXECUTE FUNCTION invoicing_invoice_totals();
"""

PG_BACKWARD = """
DROP TRIGGER IF EXISTS invoicing_invoice_totals ON invoicing_invoice;
DROP FUNCTION IF EXISTS invoicing_invoice_totals();
DROP FUNCTION IF EXISTS invoicing_totals_move(bigint, varchar, date, integer, numeric, numeric, integer);
"""

_SQLITE_ADD = """
    INSERT INTO invoicing_invoicetotal
        (property_id, status, due_date, invoice_count, amount, amount_paid, settled_count)
    VALUES (NEW.property_id, NEW.status, NEW.due_date, 1, NEW.amount, NEW.amount_paid,
            NEW.amount_paid >= NEW.amount)
    ON CONFLICT (property_id, status, due_date) DO UPDATE SET
        invoice_count = invoice_count + excluded.invoice_count,
        amount = amount + excluded.amount,
        amount_paid = amount_paid + excluded.amount_paid,
        settled_count = settled_count + excluded.settled_count;
"""
_SQLITE_REMOVE = """
    UPDATE invoicing_invoicetotal SET
        invoice_count = invoice_count - 1, amount = amount - OLD.amount,
        amount_paid = amount_paid - OLD.amount_paid,
        settled_count = settled_count - (OLD.amount_paid >= OLD.amount)
     WHERE property_id = OLD.property_id AND status = OLD.status AND due_date = OLD.due_date;
"""
SQLITE_FORWARD = [
    f"CREATE TRIGGER invoicing_invoice_totals_insert AFTER INSERT ON invoicing_invoice BEGIN {_SQLITE_ADD} END",
    f"CREATE TRIGGER invoicing_invoice_totals_delete AFTER DELETE ON invoicing_invoice BEGIN {_SQLITE_REMOVE} END",
    "CREATE TRIGGER invoicing_invoice_totals_update"
    " AFTER UPDATE OF property_id, status, due_date, amount, amount_paid ON invoicing_invoice"
    f" BEGIN {_SQLITE_REMOVE} {_SQLITE_ADD} END",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS invoicing_invoice_totals_insert",
    "DROP TRIGGER IF EXISTS invoicing_invoice_totals_delete",
    "DROP TRIGGER IF EXISTS invoicing_invoice_totals_update",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    schema_editor.execute(FILL, params=None)
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement, params=None)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0008_merge_lines_and_unsettled_index"),
        ("properties", "0008_merge_autopay_and_province"),
    ]

    operations = [
        migrations.CreateModel(
            name="InvoiceTotal",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("status", models.CharField(max_length=8)),
                ("due_date", models.DateField()),
                ("invoice_count", models.IntegerField(default=0)),
                ("amount", models.DecimalField(decimal_places=2, default=Decimal("0.00"), max_digits=16)),
                ("amount_paid", models.DecimalField(decimal_places=2, default=Decimal("0.00"), max_digits=16)),
                ("settled_count", models.IntegerField(default=0)),
                (
                    "property",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=models.deletion.CASCADE,
                        related_name="+",
                        to="properties.property",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("property", "status", "due_date"), name="invoice_total_key")
                ]
            },
        ),
        migrations.RunPython(forward, backward),
    ]
