from django.apps import AppConfig


class QuizzesConfig(AppConfig):
    name = "apps.quizzes"
    label = "quizzes"
    verbose_name = "Quizzes"

    def ready(self) -> None:
        from apps.quizzes.models import Answer, Attempt
        from apps.writebuffer.registry import Policy, register

        # A whole school starting a quiz in one minute writes thousands of attempts and tens of
        # thousands of answers: they land in Redis and PostgreSQL sees them in batches.
        # Attempts are grouped by student (starting one counts the student's earlier ones),
        # answers by attempt (submitting one grades all of its answers).
        register(Attempt, policy=Policy.WRITE_BEHIND, partition_field="student_id")
        register(Answer, policy=Policy.WRITE_BEHIND, partition_field="attempt_id")
