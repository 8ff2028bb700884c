from django.apps import AppConfig


class ActionsConfig(AppConfig):
    """Installed so that Celery finds `tasks.py` like any app's; its one model keeps what
    imports made (`ImportKey`)."""

    name = "parley.actions"
    label = "actions"
