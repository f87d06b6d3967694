"""Admin for homework, attachments, extensions and submissions, scoped to the admin's school.

Submissions are shown read-only: they are written through the write buffer, whose versioned
upsert would let a pending student write silently undo an edit made here (and this page shows
only what has been synced). Grading happens through the API, which goes through the buffer.
"""

from django.contrib import admin

from apps.core.admin import SchoolScopedAdmin
from apps.homework.models import Extension, Homework, HomeworkAttachment, Submission
from apps.writebuffer.admin import PendingWritesNotice


class HomeworkAttachmentInline(admin.TabularInline):
    model = HomeworkAttachment
    extra = 0
    fields = ["file", "name", "size_bytes", "content_type"]
    readonly_fields = ["name", "size_bytes", "content_type"]

    def has_add_permission(self, request, obj=None):
        return False  # uploads go through the API, where size and type limits are enforced


@admin.register(Homework)
class HomeworkAdmin(SchoolScopedAdmin):
    list_display = ["title", "school_class", "subject", "due_at", "cut_off_at", "late_policy"]
    list_filter = [
        "school_class",
        "subject",
        "late_policy",
        "due_at",
        "school",
    ]
    search_fields = ["title", "instructions"]
    date_hierarchy = "due_at"
    list_select_related = ["school_class", "subject"]
    inlines = [HomeworkAttachmentInline]


@admin.register(HomeworkAttachment)
class HomeworkAttachmentAdmin(SchoolScopedAdmin):
    list_display = ["name", "homework", "size_bytes", "content_type", "uploaded_at"]
    list_filter = ["content_type", "school"]
    search_fields = ["name", "homework__title"]
    list_select_related = ["homework"]
    readonly_fields = ["size_bytes", "content_type"]


@admin.register(Extension)
class ExtensionAdmin(SchoolScopedAdmin):
    list_display = ["homework", "student", "due_at", "granted_by"]
    list_filter = ["homework__school_class", "school"]
    search_fields = ["homework__title", "student__username", "student__last_name"]
    list_select_related = ["homework", "student", "granted_by"]


@admin.register(Submission)
class SubmissionAdmin(PendingWritesNotice, SchoolScopedAdmin):
    list_display = [
        "homework",
        "student",
        "attempt",
        "is_current",
        "status",
        "submitted_at",
        "final_score",
    ]
    list_filter = [
        "status",
        "is_current",
        "homework__school_class",
        "homework__subject",
        "school",
    ]
    search_fields = ["homework__title", "student__username", "student__last_name"]
    list_select_related = ["homework", "student"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
