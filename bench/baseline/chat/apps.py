from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "bench.baseline.chat"
    label = "chat"
