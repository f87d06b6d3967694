from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "apps.users"
    label = "users"
    verbose_name = "People and classes"

    def ready(self) -> None:
        from apps.users import schema, user_cache  # noqa: F401 (schema registers an extension)

        user_cache.connect_invalidation()
        from apps.users import signals

        signals.connect()
