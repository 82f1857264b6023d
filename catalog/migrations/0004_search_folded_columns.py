"""The folded names and descriptions search compares (omni.search, catalog.search), kept by
the database as stored generated columns: omni_fold() is SQL on PostgreSQL (omni 0003) and a
function registered on every SQLite connection (omni.apps)."""

import django.db.models.functions.comparison
import django.db.models.functions.text
import omni.search
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0003_channel_sale_price'),
        ('omni', '0003_search_functions'),
    ]

    operations = [
        migrations.AddField(
            model_name='product',
            name='search_name',
            field=models.GeneratedField(db_persist=True, expression=omni.search.Fold(django.db.models.functions.text.Concat(django.db.models.functions.comparison.Coalesce('name_tr', models.Value(''), output_field=models.TextField()), models.Value(' '), django.db.models.functions.comparison.Coalesce('name_en', models.Value(''), output_field=models.TextField()), output_field=models.TextField())), output_field=models.TextField()),
        ),
        migrations.AddField(
            model_name='product',
            name='search_text',
            field=models.GeneratedField(db_persist=True, expression=omni.search.Fold(django.db.models.functions.text.Concat(django.db.models.functions.comparison.Coalesce('description_tr', models.Value(''), output_field=models.TextField()), models.Value(' '), django.db.models.functions.comparison.Coalesce('description_en', models.Value(''), output_field=models.TextField()), output_field=models.TextField())), output_field=models.TextField()),
        ),
    ]
