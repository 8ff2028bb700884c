from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "parley.messaging"
    label = "messaging"
