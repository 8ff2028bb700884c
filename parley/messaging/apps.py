from django.apps import AppConfig
from django.db.models.signals import post_migrate


class MessagingConfig(AppConfig):
    name = "parley.messaging"
    label = "messaging"

    def ready(self) -> None:
        from parley.messaging import linkpreview, summaries, tasks, unread
        from parley.messaging.search_index import sqlite_restore_after_migrate
        from parley.messaging.services import attached_upload_changed
        from parley.rooms import counts
        from parley.uploads import signals

        post_migrate.connect(sqlite_restore_after_migrate, sender=self)
        signals.attached_upload_changed.connect(attached_upload_changed, dispatch_uid="parley.messaging")
        # The lobby's counts are messaging's; rooms asks for them through its port.
        counts.provide(unread.room_annotations)
        # A send starts its link previews' job through this port (services sit below tasks).
        linkpreview.provide_scheduler(tasks.previews_later)
        # A send asks for a thread root's waiting summary event through this one.
        summaries.provide_flusher(tasks.summary_flush_later)
