from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class EventsConfig(AppConfig):
    name = "apps.events"
    label = "events"
    verbose_name = "Domain events"

    def ready(self) -> None:
        # Each app that reacts to events registers its handlers in its own ``handlers.py``.
        autodiscover_modules("handlers")
