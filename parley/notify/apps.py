from django.apps import AppConfig


class NotifyConfig(AppConfig):
    """Mail people about what they missed (digests)."""

    name = "parley.notify"
    label = "notify"
