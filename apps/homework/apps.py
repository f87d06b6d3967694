from django.apps import AppConfig


class HomeworkConfig(AppConfig):
    name = "apps.homework"
    label = "homework"
    verbose_name = "Homework"

    def ready(self) -> None:
        from apps.homework import signals
        from apps.homework.models import Submission
        from apps.homework.selectors import invalidate_stored_submissions
        from apps.writebuffer.registry import Policy, register

        # Submitting is the seed's headline flow: acknowledged at once, synced in batches.
        # Clients may choose a submission's id, so the buffer keeps an index of pending ids.
        register(
            Submission,
            policy=Policy.WRITE_BEHIND,
            partition_field="homework_id",
            client_ids=True,
            on_stored=invalidate_stored_submissions,
        )
        signals.connect()
