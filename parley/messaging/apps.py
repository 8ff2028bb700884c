from django.apps import AppConfig
from django.db.models.signals import post_migrate


class MessagingConfig(AppConfig):
    name = "parley.messaging"
    label = "messaging"

    def ready(self) -> None:
        from parley.messaging.search_index import sqlite_restore_after_migrate

        post_migrate.connect(sqlite_restore_after_migrate, sender=self)
