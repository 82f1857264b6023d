"""Trigram indexes on the folded text the catalog's search compares (omni.search,
catalog.search): names and descriptions in both languages and the brand's name. They serve
LIKE '%word%' and the typo-forgiving `<%` operator alike. They replace 0002's indexes on
UPPER(name), which no search reads any more. SQLite has no such index type.
"""

from django.db import migrations

INDEXES = {
    "catalog_product_name_tr_fold": ("catalog_product", "name_tr"),
    "catalog_product_name_en_fold": ("catalog_product", "name_en"),
    "catalog_product_desc_tr_fold": ("catalog_product", "description_tr"),
    "catalog_product_desc_en_fold": ("catalog_product", "description_en"),
    "catalog_brand_name_fold": ("catalog_brand", "name"),
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
            f"USING gin (omni_fold({column}) gin_trgm_ops)"
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
    dependencies = [("catalog", "0003_channel_sale_price"), ("omni", "0003_search_functions")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
