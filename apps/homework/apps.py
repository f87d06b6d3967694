from django.apps import AppConfig


class HomeworkConfig(AppConfig):
    name = "apps.homework"
    label = "homework"
    verbose_name = "Homework"

    def ready(self) -> None:
        from apps.homework.models import Submission
        from apps.writebuffer.registry import Policy, register

        # Submitting is the seed's headline flow: acknowledged at once, synced in batches.
        register(Submission, policy=Policy.WRITE_BEHIND, partition_field="homework_id")
