from django.apps import AppConfig


class SampleConfig(AppConfig):
    """A buffered model for the engine's own tests (the engine knows nothing of domain apps)."""

    name = "apps.writebuffer.tests.sample"
    label = "wbsample"

    def ready(self) -> None:
        from apps.writebuffer.registry import Policy, register
        from apps.writebuffer.tests.sample.models import Note

        register(Note, policy=Policy.WRITE_BEHIND, partition_field="owner")
