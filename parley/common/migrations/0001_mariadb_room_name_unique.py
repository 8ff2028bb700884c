"""MariaDB cannot index an expression, so `Lower("name")` (rooms.Room's case-insensitive
unique constraint) is not created there (Django's models.W044). A plain unique index on
the name enforces the same rule under MariaDB's case-insensitive default collations
(utf8mb4_general_ci / utf8mb4_unicode_ci). Other databases are left alone."""

from django.db import migrations

INDEX = "rooms_room_name_ci_unique_mysql"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "mysql":
        schema_editor.execute(f"CREATE UNIQUE INDEX {INDEX} ON rooms_room (name)")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "mysql":
        schema_editor.execute(f"DROP INDEX {INDEX} ON rooms_room")


class Migration(migrations.Migration):
    atomic = False  # MariaDB cannot roll DDL back, so Django runs none inside a transaction
    dependencies = [("rooms", "0002_drop_redundant_indexes")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
