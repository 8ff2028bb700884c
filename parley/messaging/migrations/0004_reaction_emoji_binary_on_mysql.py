"""Under MariaDB's case-insensitive collations (utf8mb4_unicode_ci / _general_ci) every
character outside the Basic Multilingual Plane weighs the same, so 👍 and 🎉 compare
equal and the unique (message, user, emoji) constraint refused a second, different
reaction. The emoji column compares bytes there; other databases are left alone."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "mysql":
        schema_editor.execute(
            "ALTER TABLE messaging_reaction MODIFY emoji varchar(32) "
            "CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "mysql":
        schema_editor.execute(
            "ALTER TABLE messaging_reaction MODIFY emoji varchar(32) CHARACTER SET utf8mb4 NOT NULL"
        )


class Migration(migrations.Migration):
    atomic = False  # MariaDB cannot roll DDL back, so Django runs none inside a transaction
    dependencies = [("messaging", "0003_protocol_2")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
