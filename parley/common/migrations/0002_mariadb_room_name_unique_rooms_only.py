"""MariaDB/MySQL: the room-name unique index applies to rooms only, not to direct messages.

Elsewhere `rooms.Room`'s constraint is partial (`Lower("name")` where kind = 'room'), but
MariaDB can neither index an expression nor make an index partial. So the plain unique
index of 0001 moves to a generated column that holds the name for rooms and NULL for
DMs (a unique index admits any number of NULLs): DM names, derived from their members,
may repeat; two rooms still cannot share a name under the case-insensitive collation.
Other databases are left alone."""

from django.db import migrations

INDEX = "rooms_room_name_ci_unique_mysql"
COLUMN = "room_name_unique"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "mysql":
        schema_editor.execute(f"DROP INDEX {INDEX} ON rooms_room")
        schema_editor.execute(
            f"ALTER TABLE rooms_room ADD COLUMN {COLUMN} varchar(64) "
            "AS (CASE WHEN kind = 'room' THEN name END) STORED"
        )
        schema_editor.execute(f"CREATE UNIQUE INDEX {INDEX} ON rooms_room ({COLUMN})")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "mysql":
        schema_editor.execute(f"DROP INDEX {INDEX} ON rooms_room")
        schema_editor.execute(f"ALTER TABLE rooms_room DROP COLUMN {COLUMN}")
        schema_editor.execute(f"CREATE UNIQUE INDEX {INDEX} ON rooms_room (name)")


class Migration(migrations.Migration):
    atomic = False  # MariaDB cannot roll DDL back, so Django runs none inside a transaction
    dependencies = [
        ("common", "0001_mariadb_room_name_unique"),
        ("rooms", "0003_direct_messages"),
    ]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
