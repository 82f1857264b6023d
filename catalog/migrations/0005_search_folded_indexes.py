"""Trigram indexes on the folded text the catalog's search compares (omni.search,
catalog.search): the products' search_name and search_text (0004) and the brands' folded
name. They serve LIKE '%word%' and the typo-forgiving `<%` operator alike. They replace 0002's
indexes on UPPER(name), which no search reads any more. SQLite has no such index type.
"""

from django.db import migrations

INDEXES = {
    "catalog_product_search_name": ("catalog_product", "search_name"),
    "catalog_product_search_text": ("catalog_product", "search_text"),
    "catalog_brand_name_fold": ("catalog_brand", "omni_fold(name)"),
}
OLD = {
    "catalog_product_name_tr_trgm": ("catalog_product", "name_tr"),
    "catalog_product_name_en_trgm": ("catalog_product", "name_en"),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in OLD:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    for name, (table, column) in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
            f"USING gin ({column} gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    for name, (table, column) in OLD.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (UPPER({column}) gin_trgm_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0004_search_folded_columns")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
