from django.apps import AppConfig


class BotsConfig(AppConfig):
    name = "parley.bots"
    label = "bots"
