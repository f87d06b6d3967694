from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class DashboardsConfig(AppConfig):
    name = "apps.dashboards"
    label = "dashboards"
    verbose_name = "Dashboards and smart boards"

    def ready(self) -> None:
        # Each domain contributes its sections and showables in its own ``dashboard.py``.
        autodiscover_modules("dashboard")
