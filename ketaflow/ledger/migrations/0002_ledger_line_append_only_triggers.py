"""Database triggers that refuse changes to ledger lines, below the ORM (docs/adr/0004-ledger-concurrency.md).

PostgreSQL refuses UPDATE and DELETE of a row (TRUNCATE, used only by test teardown, is not a row operation).
SQLite refuses UPDATE; DELETE stays possible there because Django's test flush deletes rows one table at a time.
"""

from django.db import migrations

PG_UP = """
CREATE OR REPLACE FUNCTION ledger_line_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger lines are append-only; record a correction instead';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER ledger_line_no_update BEFORE UPDATE OR DELETE ON ledger_ledgerline
    FOR EACH ROW EXECUTE FUNCTION ledger_line_append_only();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS ledger_line_no_update ON ledger_ledgerline;
DROP FUNCTION IF EXISTS ledger_line_append_only();
"""
SQLITE_UP = """
CREATE TRIGGER ledger_line_no_update BEFORE UPDATE ON ledger_ledgerline
BEGIN
    SELECT RAISE(ABORT, 'ledger lines are append-only; record a correction instead');
END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS ledger_line_no_update;"


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_UP)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_UP)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DOWN)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
