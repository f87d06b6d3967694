from django.apps import AppConfig


class GradesConfig(AppConfig):
    name = "apps.grades"
    label = "grades"
    verbose_name = "Grades"

    def ready(self) -> None:
        from apps.grades.models import GradeMark
        from apps.writebuffer.registry import Policy, register

        # A teacher enters a whole class's marks at once; they are read per assessment.
        register(GradeMark, policy=Policy.WRITE_BEHIND, partition_field="assessment_id")
