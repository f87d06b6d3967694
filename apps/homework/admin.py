"""Admin for homework, attachments, extensions and submissions, scoped to the admin's school.

Submissions are shown read-only: they are written through the write buffer, whose versioned
upsert would let a pending student write silently undo an edit made here (and this page shows
only what has been synced). Grading happens through the API, which goes through the buffer.
"""

from django import forms
from django.contrib import admin

from apps.core.admin import SchoolScopedAdmin
from apps.core.errors import ApplicationError
from apps.homework.models import Extension, Homework, HomeworkAttachment, Submission
from apps.homework.services import attachment_file_describe, check_uploads
from apps.writebuffer.admin import PendingWritesNotice


class HomeworkAttachmentForm(forms.ModelForm):
    """A replaced file passes the API's checks (name, type by name and content, size), and the
    name, size and type shown and served are those of the new file."""

    class Meta:
        model = HomeworkAttachment
        fields = ["file"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload is not None and "file" in self.changed_data:
            try:
                check_uploads([upload], field="file")
            except ApplicationError as error:
                raise forms.ValidationError(error.fields.get("file") or error.message) from error
        return upload

    def save(self, commit=True):
        attachment = super().save(commit=False)
        if "file" in self.changed_data:
            attachment_file_describe(attachment=attachment, upload=self.cleaned_data["file"])
        if commit:
            attachment.save()
        return attachment


class HomeworkAttachmentInline(admin.TabularInline):
    model = HomeworkAttachment
    form = HomeworkAttachmentForm
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
    form = HomeworkAttachmentForm
    list_display = ["name", "homework", "size_bytes", "content_type", "uploaded_at"]
    list_filter = ["content_type", "school"]
    search_fields = ["name", "homework__title"]
    list_select_related = ["homework"]
    fields = ["homework", "file", "name", "size_bytes", "content_type"]
    readonly_fields = ["homework", "name", "size_bytes", "content_type"]

    def has_add_permission(self, request):
        return False  # uploads go through the API (a file belongs to a homework's teacher)


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
