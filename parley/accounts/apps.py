from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "parley.accounts"
    label = "accounts"

    def ready(self) -> None:
        from parley.accounts import schema  # noqa: F401 - registers the OpenAPI auth schemes
