"""rooms: Ban.of_member, whether the person was in the room when banned.

A private room does not admit it exists to outsiders (404); someone banned in advance, never a
member, must hear that same 404 rather than `banned`, while a banned former member is still
told why. Bans made before this column existed are marked as of a member: they keep hearing
`banned` as they did (their history is not kept, so it cannot be told apart).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("rooms", "0003_room_names_without_hash"),
    ]

    operations = [
        migrations.AddField(model_name="ban", name="of_member", field=models.BooleanField(default=True)),
        migrations.AlterField(model_name="ban", name="of_member", field=models.BooleanField(default=False)),
    ]
