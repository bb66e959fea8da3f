"""Prefix indexes for the patient search (``istartswith`` on last or first name) on PostgreSQL.

Django renders ``istartswith`` as ``UPPER(col::text) LIKE UPPER('ab%')``; a btree on ``UPPER(col)`` with
``text_pattern_ops`` answers it without scanning every patient whatever the database's collation. SQLite has no
operator classes (and its LIKE is case-insensitive already), so the indexes exist on PostgreSQL only.
"""

from django.db import migrations

INDEXES = {
    "patients_patient_upper_last_name_prefix": "last_name",
    "patients_patient_upper_first_name_prefix": "first_name",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {name} ON patients_patient (UPPER("{column}"::text) text_pattern_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("patients", "0002_patient_address_line1_patient_city_and_more")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
