from django.apps import AppConfig


class AttendanceConfig(AppConfig):
    name = "apps.attendance"
    label = "attendance"
    verbose_name = "Attendance"

    def ready(self) -> None:
        from apps.attendance.models import AttendanceMark, AttendanceMarkChange
        from apps.writebuffer.registry import Policy, register

        # A register's marks (and their history) are read and synced together.
        register(AttendanceMark, policy=Policy.WRITE_BEHIND, partition_field="register_id")
        register(AttendanceMarkChange, policy=Policy.WRITE_BEHIND, partition_field="register_id")
