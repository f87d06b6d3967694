"""Admin for registers, marks and their history, scoped to the admin's school.

Marks and changes are read-only here: they are written through the write buffer, whose versioned
upsert would let a pending write silently undo an edit made on this page, and an edit here would
skip the change history. Registers are re-marked through the API.
"""

from django.contrib import admin

from apps.attendance.models import AttendanceMark, AttendanceMarkChange, Register
from apps.core.admin import SchoolScopedAdmin


class ReadOnlyBufferedAdmin(SchoolScopedAdmin):
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
    readonly_fields = ["last_marked_at", "last_marked_by", "created_by"]


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
