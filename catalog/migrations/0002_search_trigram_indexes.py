"""Trigram indexes for the catalog's text search on PostgreSQL (ILIKE '%word%' on names).

SQLite, the embedded default, has no such index type and searches without one.
"""

from django.db import migrations

INDEXES = {
    "catalog_product_name_tr_trgm": ("catalog_product", "name_tr"),
    "catalog_product_name_en_trgm": ("catalog_product", "name_en"),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, column) in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (UPPER({column}) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
