"""Admin for terms, grading scales, assessments and marks, scoped to the admin's school.

Marks are read-only here: they are written through the write buffer, whose versioned upsert would
let a pending write silently undo an edit made on this page. Marks are entered through the API.
"""

from django.contrib import admin

from apps.core.admin import SchoolScopedAdmin
from apps.grades.models import (
    Assessment,
    GradeBand,
    GradeMark,
    GradingScale,
    ReportComment,
    Term,
)
from apps.writebuffer.admin import PendingWritesNotice


@admin.register(Term)
class TermAdmin(SchoolScopedAdmin):
    list_display = ["name", "academic_year", "starts_on", "ends_on"]
    list_filter = ["academic_year", "school"]
    search_fields = ["name", "academic_year"]


class GradeBandInline(admin.TabularInline):
    model = GradeBand
    extra = 0
    fields = ["letter", "min_percent"]


@admin.register(GradingScale)
class GradingScaleAdmin(SchoolScopedAdmin):
    list_display = ["name", "is_default"]
    list_filter = ["is_default", "school"]
    search_fields = ["name"]
    inlines = [GradeBandInline]

    def save_formset(self, request, form, formset, change):
        # Bands carry their own school for scoping; it is always their scale's.
        for band in formset.save(commit=False):
            band.school_id = form.instance.school_id
            band.save()
        for band in formset.deleted_objects:
            band.delete()


@admin.register(GradeBand)
class GradeBandAdmin(SchoolScopedAdmin):
    list_display = ["scale", "letter", "min_percent"]
    list_filter = ["scale", "school"]
    search_fields = ["letter", "scale__name"]
    list_select_related = ["scale"]


@admin.register(Assessment)
class AssessmentAdmin(SchoolScopedAdmin):
    list_display = ["title", "kind", "school_class", "subject", "term", "date", "weight"]
    list_filter = [
        "kind",
        "term",
        "school_class",
        "subject",
        "school",
    ]
    search_fields = ["title"]
    date_hierarchy = "date"
    list_select_related = ["school_class", "subject", "term"]


@admin.register(GradeMark)
class GradeMarkAdmin(PendingWritesNotice, SchoolScopedAdmin):
    list_display = ["student", "assessment", "score", "marked_by", "marked_at"]
    list_filter = [
        "assessment__school_class",
        "assessment__subject",
        "assessment__term",
        "school",
    ]
    search_fields = ["student__username", "student__last_name", "assessment__title"]
    list_select_related = ["student", "assessment", "marked_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReportComment)
class ReportCommentAdmin(SchoolScopedAdmin):
    list_display = ["student", "term", "subject", "author", "updated_at"]
    list_filter = ["term", "subject", "school"]
    search_fields = ["student__username", "student__last_name", "text"]
    list_select_related = ["student", "term", "subject", "author"]

    def save_model(self, request, obj, form, change):
        if obj.author_id is None:
            obj.author = request.user
        super().save_model(request, obj, form, change)
