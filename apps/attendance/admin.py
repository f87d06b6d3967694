"""Admin for registers, marks and their history, scoped to the admin's school.

Marks and changes are read-only here: they are written through the write buffer, whose versioned
upsert would let a pending write silently undo an edit made on this page, and an edit here would
skip the change history. Registers are re-marked through the API.
"""

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from apps.attendance.models import AttendanceMark, AttendanceMarkChange, Register
from apps.attendance.selectors import register_marks
from apps.core.admin import SchoolScopedAdmin
from apps.writebuffer.admin import PendingWritesNotice


class ReadOnlyBufferedAdmin(PendingWritesNotice, SchoolScopedAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Register)
class RegisterAdmin(SchoolScopedAdmin):
    list_display = ["school_class", "date", "period", "last_marked_at", "last_marked_by"]
    list_filter = ["school_class", "date", "period", "school"]
    search_fields = ["school_class__section", "last_marked_by__username"]
    date_hierarchy = "date"
    list_select_related = ["school_class", "last_marked_by"]
    readonly_fields = ["last_marked_at", "last_marked_by", "created_by", "marks"]

    @admin.display(description="Marks")
    def marks(self, register: Register) -> str:
        """The register's marks as the API shows them: stored ones and those still waiting in
        the write buffer (labelled, since the marks list below the menu does not have them
        until the sync)."""
        if register.pk is None:
            return "-"
        stored = set(AttendanceMark.objects.filter(register=register).values_list("pk", flat=True))
        marks = register_marks(register=register)
        if not marks:
            return "No marks yet."
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    mark.student.get_full_name() or mark.student.username,
                    mark.get_code_display(),
                    mark.note,
                    "" if mark.pk in stored else "pending sync",
                )
                for mark in marks
            ),
        )
        return format_html(
            "<table><thead><tr><th>Student</th><th>Mark</th><th>Note</th><th></th></tr></thead>"
            "<tbody>{}</tbody></table>",
            rows,
        )


@admin.register(AttendanceMark)
class AttendanceMarkAdmin(ReadOnlyBufferedAdmin):
    list_display = ["student", "register", "code", "note", "marked_by", "marked_at"]
    list_filter = ["code", "register__school_class", "register__date", "school"]
    search_fields = ["student__username", "student__first_name", "student__last_name", "note"]
    list_select_related = ["student", "register__school_class", "marked_by"]


@admin.register(AttendanceMarkChange)
class AttendanceMarkChangeAdmin(ReadOnlyBufferedAdmin):
    list_display = ["student", "register", "previous_code", "code", "changed_by", "changed_at"]
    list_filter = ["code", "register__school_class", "school"]
    search_fields = ["student__username", "student__last_name", "changed_by__username"]
    list_select_related = ["student", "register__school_class", "changed_by"]
