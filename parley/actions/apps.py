from django.apps import AppConfig


class ActionsConfig(AppConfig):
    """No models: installed so that Celery finds `tasks.py` like any app's."""

    name = "parley.actions"
    label = "actions"
