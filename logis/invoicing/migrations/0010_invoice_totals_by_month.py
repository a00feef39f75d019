"""Paid, void and draft summary rows keyed on the first day of their due date's month, open rows still on
their due date (docs/decisions/0040).

Only open rows need their exact due date: « En retard » is the open rows due before today, « À échoir » and
the aging buckets are ranges of open rows' due dates. The other statuses are only ever summed whole (the
Paiées card, the drafts, the void count), so one row per month is enough for them. Monthly dues, due on one
day of the month, already gave one row per month; due dates spread over the month (the bench's, or
invoices billed on the fly) gave one per day: 11,654 rows at 200,000 bench invoices, about 4,000 now, and
the Factures cards and the dashboard read them on every view. Contention does not change for monthly dues
(their invoices already shared a row); the key order of decision 0033 holds on the new key.
"""

import importlib

from django.db import migrations

BEFORE = importlib.import_module("logis.invoicing.migrations.0009_invoice_totals")

PG_KEY = "CASE WHEN status = 'open' THEN due_date ELSE date_trunc('month', due_date)::date END"
SQLITE_KEY = "CASE WHEN status = 'open' THEN due_date ELSE date(due_date, 'start of month') END"

FILL = """
INSERT INTO invoicing_invoicetotal
    (property_id, status, due_date, invoice_count, amount, amount_paid, settled_count)
SELECT property_id, status, {key}, COUNT(*), SUM(amount), SUM(amount_paid),
       SUM(CASE WHEN amount_paid >= amount THEN 1 ELSE 0 END)
  FROM invoicing_invoice GROUP BY property_id, status, {key}
"""

PG_FORWARD = """
CREATE FUNCTION invoicing_totals_key(s varchar, d date) RETURNS date LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN s = 'open' THEN d ELSE date_trunc('month', d)::date END
$$;
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
DECLARE
    old_key date;
    new_key date;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        old_key := invoicing_totals_key(OLD.status, OLD.due_date);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        new_key := invoicing_totals_key(NEW.status, NEW.due_date);
    END IF;
    IF TG_OP = 'INSERT' THEN
        PERFORM invoicing_totals_move(NEW.property_id, NEW.status, new_key, 1, NEW.amount,
            NEW.amount_paid, (NEW.amount_paid >= NEW.amount)::int);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM invoicing_totals_move(OLD.property_id, OLD.status, old_key, -1, -OLD.amount,
            -OLD.amount_paid, -((OLD.amount_paid >= OLD.amount)::int));
    ELSIF (OLD.property_id, OLD.status, old_key) = (NEW.property_id, NEW.status, new_key) THEN
        IF OLD.amount <> NEW.amount OR OLD.amount_paid <> NEW.amount_paid THEN
            PERFORM invoicing_totals_move(NEW.property_id, NEW.status, new_key, 0,
                NEW.amount - OLD.amount, NEW.amount_paid - OLD.amount_paid,
                (NEW.amount_paid >= NEW.amount)::int - (OLD.amount_paid >= OLD.amount)::int);
        END IF;
    ELSIF (OLD.property_id, OLD.status, old_key) < (NEW.property_id, NEW.status, new_key) THEN
        PERFORM invoicing_totals_move(OLD.property_id, OLD.status, old_key, -1, -OLD.amount,
            -OLD.amount_paid, -((OLD.amount_paid >= OLD.amount)::int));
        PERFORM invoicing_totals_move(NEW.property_id, NEW.status, new_key, 1, NEW.amount,
            NEW.amount_paid, (NEW.amount_paid >= NEW.amount)::int);
    ELSE
        PERFORM invoicing_totals_move(NEW.property_id, NEW.status, new_key, 1, NEW.amount,
            NEW.amount_paid, (NEW.amount_paid >= NEW.amount)::int);
        PERFORM invoicing_totals_move(OLD.property_id, OLD.status, old_key, -1, -OLD.amount,
            -OLD.amount_paid, -((OLD.amount_paid >= OLD.amount)::int));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER invoicing_invoice_totals
    AFTER INSERT OR DELETE OR UPDATE OF property_id, status, due_date, amount, amount_paid
    ON invoicing_invoice FOR EACH ROW EXECUTE FUNCTION invoicing_invoice_totals();
"""

PG_BACKWARD = BEFORE.PG_BACKWARD + "DROP FUNCTION IF EXISTS invoicing_totals_key(varchar, date);\n"


def _sqlite_key(row: str) -> str:
    return f"CASE WHEN {row}.status = 'open' THEN {row}.due_date ELSE date({row}.due_date, 'start of month') END"


_SQLITE_ADD = f"""
    INSERT INTO invoicing_invoicetotal
        (property_id, status, due_date, invoice_count, amount, amount_paid, settled_count)
    VALUES (NEW.property_id, NEW.status, {_sqlite_key("NEW")}, 1, NEW.amount, NEW.amount_paid,
            NEW.amount_paid >= NEW.amount)
    ON CONFLICT (property_id, status, due_date) DO UPDATE SET
        invoice_count = invoice_count + excluded.invoice_count,
        amount = amount + excluded.amount,
        amount_paid = amount_paid + excluded.amount_paid,
        settled_count = settled_count + excluded.settled_count;
"""
_SQLITE_REMOVE = f"""
    UPDATE invoicing_invoicetotal SET
        invoice_count = invoice_count - 1, amount = amount - OLD.amount,
        amount_paid = amount_paid - OLD.amount_paid,
        settled_count = settled_count - (OLD.amount_paid >= OLD.amount)
     WHERE property_id = OLD.property_id AND status = OLD.status AND due_date = {_sqlite_key("OLD")};
"""
SQLITE_FORWARD = [
    f"CREATE TRIGGER invoicing_invoice_totals_insert AFTER INSERT ON invoicing_invoice BEGIN {_SQLITE_ADD} END",
    f"CREATE TRIGGER invoicing_invoice_totals_delete AFTER DELETE ON invoicing_invoice BEGIN {_SQLITE_REMOVE} END",
    "CREATE TRIGGER invoicing_invoice_totals_update"
    " AFTER UPDATE OF property_id, status, due_date, amount, amount_paid ON invoicing_invoice"
    f" BEGIN {_SQLITE_REMOVE} {_SQLITE_ADD} END",
]


def _execute(schema_editor, sql):
    for statement in [sql] if isinstance(sql, str) else sql:
        schema_editor.execute(statement, params=None)


def _swap(schema_editor, *, drop, create, fill):
    """Drop the triggers, fill the rows again by the new key, then create the triggers."""
    _execute(schema_editor, drop)
    _execute(schema_editor, "DELETE FROM invoicing_invoicetotal")
    _execute(schema_editor, fill)
    _execute(schema_editor, create)


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _swap(schema_editor, drop=BEFORE.PG_BACKWARD, create=PG_FORWARD, fill=FILL.format(key=PG_KEY))
    elif vendor == "sqlite":
        _swap(
            schema_editor, drop=BEFORE.SQLITE_BACKWARD, create=SQLITE_FORWARD, fill=FILL.format(key=SQLITE_KEY)
        )


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _swap(schema_editor, drop=PG_BACKWARD, create=BEFORE.PG_FORWARD, fill=BEFORE.FILL)
    elif vendor == "sqlite":
        _swap(schema_editor, drop=BEFORE.SQLITE_BACKWARD, create=BEFORE.SQLITE_FORWARD, fill=BEFORE.FILL)


class Migration(migrations.Migration):
    dependencies = [("invoicing", "0009_invoice_totals")]

    operations = [migrations.RunPython(forward, backward)]
