from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "parley.common"
    label = "common"
