"""Stamp every feed entry in commit order, whatever writes it (ORM, bulk upsert, raw SQL).

PostgreSQL: the stamp is the writing (top-level) transaction's id (xid8). A reader hands out only
stamps below the oldest transaction of this database still running (fieldsales/sync/pull.py,
POSTGRES_HORIZON), so a transaction that commits late, with a smaller id than rows already read,
is read by a later pull: nothing is skipped.

SQLite: one writer at a time holds the database until it commits, so a counter bumped inside the
write transaction grows in commit order.
"""

from django.db import migrations

POSTGRES_FORWARD = """
CREATE OR REPLACE FUNCTION fieldsales_sync_stamp() RETURNS trigger AS $$
BEGIN
    NEW.stamp := pg_current_xact_id()::text::bigint;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER fieldsales_syncentry_stamp
    BEFORE INSERT OR UPDATE ON fieldsales_syncentry
    FOR EACH ROW EXECUTE FUNCTION fieldsales_sync_stamp();
"""
POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS fieldsales_syncentry_stamp ON fieldsales_syncentry;
DROP FUNCTION IF EXISTS fieldsales_sync_stamp();
"""

SQLITE_FORWARD = [
    "CREATE TABLE fieldsales_sync_counter (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL)",
    "INSERT INTO fieldsales_sync_counter (id, value) VALUES (1, 0)",
    """CREATE TRIGGER fieldsales_syncentry_stamp_insert AFTER INSERT ON fieldsales_syncentry
    BEGIN
        UPDATE fieldsales_sync_counter SET value = value + 1 WHERE id = 1;
        UPDATE fieldsales_syncentry SET stamp = (SELECT value FROM fieldsales_sync_counter WHERE id = 1)
            WHERE id = NEW.id;
    END""",
    """CREATE TRIGGER fieldsales_syncentry_stamp_update AFTER UPDATE OF rep_id, kind, entity_id, deleted
    ON fieldsales_syncentry
    BEGIN
        UPDATE fieldsales_sync_counter SET value = value + 1 WHERE id = 1;
        UPDATE fieldsales_syncentry SET stamp = (SELECT value FROM fieldsales_sync_counter WHERE id = 1)
            WHERE id = NEW.id;
    END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS fieldsales_syncentry_stamp_update",
    "DROP TRIGGER IF EXISTS fieldsales_syncentry_stamp_insert",
    "DROP TABLE IF EXISTS fieldsales_sync_counter",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": [POSTGRES_FORWARD], "sqlite": SQLITE_FORWARD}.get(vendor)
    if statements is None:
        raise NotImplementedError(f"FieldSales's sync feed supports PostgreSQL and SQLite, not {vendor}.")
    for statement in statements:
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"postgresql": [POSTGRES_BACKWARD], "sqlite": SQLITE_BACKWARD}.get(vendor, []):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("fieldsales", "0002_sync")]
    operations = [migrations.RunPython(forward, backward)]
