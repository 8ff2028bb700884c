from django.apps import AppConfig


class NotifyConfig(AppConfig):
    """Tell people of what they missed: mail digests, and Web Push to their devices."""

    name = "parley.notify"
    label = "notify"

    def ready(self) -> None:
        from parley.messaging import aftersend
        from parley.notify import tasks

        # A committed send hands its messages to the push job (services sit below tasks).
        aftersend.provide("push", tasks.push_later)
