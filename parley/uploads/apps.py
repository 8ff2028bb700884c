from django.apps import AppConfig


class UploadsConfig(AppConfig):
    name = "parley.uploads"
    label = "uploads"
