from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from apps.core.collectors import install_query_counter

        connection_created.connect(install_query_counter, dispatch_uid="schools24_query_counter")
