from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "apps.analytics"
    label = "analytics"
    verbose_name = "Activity and early warnings"

    def ready(self) -> None:
        from apps.analytics.models import ActivityEntry
        from apps.writebuffer.registry import Policy, register

        # Every change of interest lands here: high volume, nobody waits on it.
        register(ActivityEntry, policy=Policy.WRITE_BEHIND, partition_field="school_id")
