"""One UPDATE for many rows, for stage B's batches.

Django's `bulk_update` writes a `CASE WHEN id = … THEN …` per row and field, and compiling those
expressions is Python work that grows with every row and field of a batch, on every flush of
stage B (the README has the measurement). `rows_update` sends the same values as one
`UPDATE … FROM (VALUES …)` instead: the same statement count, the values prepared by the fields
themselves (so encrypted fields encrypt), and one parameter list to build rather than an
expression tree to compile.

It bypasses the ORM's write path, so django-cachalot does not see it (CACHALOT_INVALIDATE_RAW is
off): it refuses tables that cachalot caches.
"""

from collections.abc import Sequence

from django.conf import settings
from django.db import connections, router
from django.db.models import Model

BATCH_ROWS = 500  # well inside PostgreSQL's 65,535 parameters per statement


def rows_update(objs: Sequence[Model], fields: Sequence[str]) -> int:
    """Write `fields` of the saved model instances `objs`; returns the number of rows updated."""
    if not objs:
        return 0
    model = type(objs[0])
    table = model._meta.db_table
    if table not in settings.CACHALOT_UNCACHABLE_TABLES:
        raise ValueError(f"{table} is cached by cachalot: use the ORM to update it")
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        # The embedded default (SQLite) has neither the casts nor the volume: the ORM's way.
        return model._base_manager.bulk_update(objs, fields)
    columns = [model._meta.pk, *(model._meta.get_field(name) for name in fields)]
    updated = 0
    with connection.cursor() as cursor:
        for start in range(0, len(objs), BATCH_ROWS):
            batch = objs[start : start + BATCH_ROWS]
            cursor.execute(
                _statement(connection, table, columns, len(batch)),
                _params(connection, columns, batch),
            )
            updated += cursor.rowcount
    return updated


def _statement(connection, table: str, columns, rows: int) -> str:
    quote = connection.ops.quote_name
    # Each value is cast to its column's type: VALUES alone would guess text for parameters.
    row = "(" + ", ".join(f"%s::{field.db_type(connection)}" for field in columns) + ")"
    names = ", ".join(quote(field.column) for field in columns)
    assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in columns[1:])
    pk = quote(columns[0].column)
    # Every name is the model's own, quoted; every value is a parameter.
    return (
        f"UPDATE {quote(table)} SET {assignments} "  # noqa: S608
        f"FROM (VALUES {', '.join([row] * rows)}) AS v ({names}) "
        f"WHERE {quote(table)}.{pk} = v.{pk}"
    )


def _params(connection, columns, objs) -> list:
    return [
        field.get_db_prep_save(getattr(obj, field.attname), connection=connection)
        for obj in objs
        for field in columns
    ]
