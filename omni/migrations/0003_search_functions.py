"""The SQL side of omni.search on PostgreSQL: the unaccent and pg_trgm extensions and
omni_fold(text), IMMUTABLE so that expression indexes can be built on it.

unaccent() itself is only STABLE (its dictionary could change under it); called with the
dictionary named explicitly and schema-qualified, the wrapper does not depend on the search
path and is safe to declare IMMUTABLE (the documented way to index unaccented text). The
translate() runs first so the Turkish dotted and dotless I fold the same under any collation.
SQLite gets a Python function of the same name on every connection instead (omni.apps).
"""

from django.db import migrations

from omni.search import TURKISH_FROM, TURKISH_TO

CREATE = f"""
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE OR REPLACE FUNCTION omni_fold(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT lower(public.unaccent('public.unaccent'::regdictionary,
                               translate(value, '{TURKISH_FROM}', '{TURKISH_TO}')))
$$;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS omni_fold(text)")


class Migration(migrations.Migration):
    dependencies = [("omni", "0002_hot_path_indexes_2")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
