"""Trigram indexes on the folded first and last names, for the staff's customer search
(customers.selectors.customers_matching, orders.selectors.customer_search): "ayse" finds
"Ayşe" through omni_fold() (omni.search). SQLite has no such index type."""

from django.db import migrations

INDEXES = {
    "customer_first_name_fold": "first_name",
    "customer_last_name_fold": "last_name",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON customers_customer "
            f"USING gin (omni_fold({column}) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0012_staff_notes"), ("omni", "0003_search_functions")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
