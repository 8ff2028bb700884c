from django.conf import settings
from django.db import migrations

OLD_TOPIC = "Everyone is here."  # what 0005 gave the main room


def clear_topic(apps, schema_editor):
    """The main room's topic was English for readers of four languages (issue 17); a topic
    staff wrote since is theirs and stays."""
    name = " ".join(getattr(settings, "PARLEY_MAIN_ROOM", "general").split())[:64]
    if name:
        apps.get_model("rooms", "Room").objects.filter(name__iexact=name, topic=OLD_TOPIC).update(topic="")


def restore_topic(apps, schema_editor):
    name = " ".join(getattr(settings, "PARLEY_MAIN_ROOM", "general").split())[:64]
    if name:
        apps.get_model("rooms", "Room").objects.filter(name__iexact=name, topic="").update(topic=OLD_TOPIC)


class Migration(migrations.Migration):
    dependencies = [("rooms", "0006_i18n_labels")]

    operations = [migrations.RunPython(clear_topic, restore_topic)]
