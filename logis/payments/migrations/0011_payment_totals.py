"""Summary rows of the payments per property, kind, status and method, kept by database triggers in the
same transaction as every write of a payment, and filled here from the existing payments
(docs/decisions/0033; the same pattern as invoicing 0009: upsert to add, plain UPDATE to remove, the two
rows of a move touched in key order on PostgreSQL)."""

from decimal import Decimal

from django.db import migrations, models

FILL = """
INSERT INTO payments_paymenttotal (property_id, kind, status, method, payment_count, amount)
SELECT property_id, kind, status, method, COUNT(*), SUM(amount)
  FROM payments_payment GROUP BY property_id, kind, status, method
"""

PG_FORWARD = """
CREATE FUNCTION payments_totals_move(p bigint, k varchar, s varchar, m varchar, n integer, a numeric)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF n > 0 THEN
        INSERT INTO payments_paymenttotal AS t (property_id, kind, status, method, payment_count, amount)
        VALUES (p, k, s, m, n, a)
        ON CONFLICT (property_id, kind, status, method) DO UPDATE SET
            payment_count = t.payment_count + EXCLUDED.payment_count, amount = t.amount + EXCLUDED.amount;
    ELSE
        UPDATE payments_paymenttotal SET payment_count = payment_count + n, amount = amount + a
         WHERE property_id = p AND kind = k AND status = s AND method = m;
    END IF;
END $$;
CREATE FUNCTION payments_payment_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM payments_totals_move(NEW.property_id, NEW.kind, NEW.status, NEW.method, 1, NEW.amount);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM payments_totals_move(OLD.property_id, OLD.kind, OLD.status, OLD.method, -1, -OLD.amount);
    ELSIF (OLD.property_id, OLD.kind, OLD.status, OLD.method) = (NEW.property_id, NEW.kind, NEW.status, NEW.method) THEN
        IF OLD.amount <> NEW.amount THEN
            PERFORM payments_totals_move(NEW.property_id, NEW.kind, NEW.status, NEW.method, 0,
                NEW.amount - OLD.amount);
        END IF;
    ELSIF (OLD.property_id, OLD.kind, OLD.status, OLD.method) < (NEW.property_id, NEW.kind, NEW.status, NEW.method) THEN
        PERFORM payments_totals_move(OLD.property_id, OLD.kind, OLD.status, OLD.method, -1, -OLD.amount);
        PERFORM payments_totals_move(NEW.property_id, NEW.kind, NEW.status, NEW.method, 1, NEW.amount);
    ELSE
        PERFORM payments_totals_move(NEW.property_id, NEW.kind, NEW.status, NEW.method, 1, NEW.amount);
        PERFORM payments_totals_move(OLD.property_id, OLD.kind, OLD.status, OLD.method, -1, -OLD.amount);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER payments_payment_totals
    AFTER INSERT OR DELETE OR UPDATE OF property_id, kind, status, method, amount
    ON payments_payment FOR EACH ROW EXECUTE FUNCTION payments_payment_totals();
"""

PG_BACKWARD = """
DROP TRIGGER IF EXISTS payments_payment_totals ON payments_payment;
DROP FUNCTION IF EXISTS payments_payment_totals();
DROP FUNCTION IF EXISTS payments_totals_move(bigint, varchar, varchar, varchar, integer, numeric);
"""

_SQLITE_ADD = """
    INSERT INTO payments_paymenttotal (property_id, kind, status, method, payment_count, amount)
    VALUES (NEW.property_id, NEW.kind, NEW.status, NEW.method, 1, NEW.amount)
    ON CONFLICT (property_id, kind, status, method) DO UPDATE SET
        payment_count = payment_count + excluded.payment_count, amount = amount + excluded.amount;
"""
_SQLITE_REMOVE = """
    UPDATE payments_paymenttotal SET payment_count = payment_count - 1, amount = amount - OLD.amount
     WHERE property_id = OLD.property_id AND kind = OLD.kind AND status = OLD.status AND method = OLD.method;
"""
SQLITE_FORWARD = [
    f"CREATE TRIGGER payments_payment_totals_insert AFTER INSERT ON payments_payment BEGIN {_SQLITE_ADD} END",
    f"CREATE TRIGGER payments_payment_totals_delete AFTER DELETE ON payments_payment BEGIN {_SQLITE_REMOVE} END",
    "CREATE TRIGGER payments_payment_totals_update"
    " AFTER UPDATE OF property_id, kind, status, method, amount ON payments_payment"
    f" BEGIN {_SQLITE_REMOVE} {_SQLITE_ADD} END",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS payments_payment_totals_insert",
    "DROP TRIGGER IF EXISTS payments_payment_totals_delete",
    "DROP TRIGGER IF EXISTS payments_payment_totals_update",
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
        ("payments", "0010_merge_autopay_and_remittances"),
        ("properties", "0008_merge_autopay_and_province"),
    ]

    operations = [
        migrations.CreateModel(
            name="PaymentTotal",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(max_length=10)),
                ("status", models.CharField(max_length=10)),
                ("method", models.CharField(max_length=16)),
                ("payment_count", models.IntegerField(default=0)),
                ("amount", models.DecimalField(decimal_places=2, default=Decimal("0.00"), max_digits=16)),
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
                    models.UniqueConstraint(fields=("property", "kind", "status", "method"), name="payment_total_key")
                ]
            },
        ),
        migrations.RunPython(forward, backward),
    ]
