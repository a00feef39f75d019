"""The database's own guard of the journal (decision 0029).

PostgreSQL: a constraint trigger, deferred to commit, refuses a transaction that leaves an entry whose
debits differ from its credits; triggers refuse any UPDATE or DELETE of an entry or a line (TRUNCATE,
which test teardown uses, fires no row trigger). SQLite has no deferred trigger: the check in
``logis.ledger.posting.post`` stands alone there (and a test checks every entry balances); a trigger
refuses UPDATE of the journal (not DELETE: Django's test flush empties tables with DELETE on SQLite).
"""

from django.db import migrations

PG_FORWARD = """
CREATE FUNCTION ledger_entry_balances() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d numeric;
    c numeric;
BEGIN
    SELECT COALESCE(SUM(debit), 0), COALESCE(SUM(credit), 0) INTO d, c
      FROM ledger_journalline WHERE entry_id = NEW.entry_id;
    IF d <> c THEN
        RAISE EXCEPTION 'journal entry % does not balance: debits %, credits %', NEW.entry_id, d, c
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER ledger_line_balanced AFTER INSERT ON ledger_journalline
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_entry_balances();
CREATE FUNCTION ledger_journal_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the journal is never changed: post a reversing entry'
        USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER ledger_line_immutable BEFORE UPDATE OR DELETE ON ledger_journalline
    FOR EACH ROW EXECUTE FUNCTION ledger_journal_immutable();
CREATE TRIGGER ledger_entry_immutable BEFORE UPDATE OR DELETE ON ledger_journalentry
    FOR EACH ROW EXECUTE FUNCTION ledger_journal_immutable();
"""

PG_BACKWARD = """
DROP TRIGGER IF EXISTS ledger_entry_immutable ON ledger_journalentry;
DROP TRIGGER IF EXISTS ledger_line_immutable ON ledger_journalline;
DROP FUNCTION IF EXISTS ledger_journal_immutable();
DROP TRIGGER IF EXISTS ledger_line_balanced ON ledger_journalline;
DROP FUNCTION IF EXISTS ledger_entry_balances();
"""

SQLITE_FORWARD = [
    """CREATE TRIGGER ledger_line_immutable BEFORE UPDATE ON ledger_journalline
       BEGIN SELECT RAISE(ABORT, 'the journal is never changed: post a reversing entry'); END""",
    """CREATE TRIGGER ledger_entry_immutable BEFORE UPDATE ON ledger_journalentry
       BEGIN SELECT RAISE(ABORT, 'the journal is never changed: post a reversing entry'); END""",
]
SQLITE_BACKWARD = ["DROP TRIGGER IF EXISTS ledger_line_immutable", "DROP TRIGGER IF EXISTS ledger_entry_immutable"]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_ledger_initial")]
    operations = [migrations.RunPython(forward, backward)]
