"""PostgreSQL triggers that make the audit tables append-only: every UPDATE and DELETE raises.

PostgreSQL only (SQLite, the embedded default, has no such guarantee; the HMAC chain still
detects changes there). TRUNCATE is not covered, on purpose: Django's test flush truncates
tables. A truncated log is still caught by `verify_audit_log` (the chain head row and the signed
checkpoints name entries that no longer exist). A database owner can drop these triggers; that is
what the HMAC chain and the checkpoints logged outside the database are for.
"""

from django.db import migrations

TABLES = ("security_auditevent", "security_auditcheckpoint")

CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION security_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING HINT = 'The HIPAA audit log is never changed or pruned (6-year retention).';
END;
$$;
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE_FUNCTION, params=None)  # RAISE uses %: no placeholders
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION security_audit_append_only()"
        )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS security_audit_append_only()")


class Migration(migrations.Migration):
    dependencies = [("security", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
