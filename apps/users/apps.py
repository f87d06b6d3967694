from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "apps.users"
    label = "users"
    verbose_name = "People and classes"

    def ready(self) -> None:
        from apps.users import signals

        signals.connect()
