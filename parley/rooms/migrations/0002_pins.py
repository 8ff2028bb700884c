# Pins (issue 32): whether members (not only the owner and staff) may pin.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("rooms", "0001_squashed"),
    ]

    operations = [
        migrations.AddField(
            model_name="room",
            name="members_can_pin",
            field=models.BooleanField(default=False),
        ),
    ]
