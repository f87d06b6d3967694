"""Admin for the question bank, quizzes and attempts, scoped to the admin's school.

Question content is edited through the API (an edit there makes a new version and forgets the
cached quizzes); here a question's versions are shown read-only. Attempts and answers are
read-only: they are written through the write buffer, whose versioned upsert would let a pending
write silently undo an edit made here. Marks change through overrides and regrades in the API.
"""

from django.contrib import admin

from apps.core.admin import SchoolScopedAdmin
from apps.quizzes.models import Answer, Attempt, Question, QuestionVersion, Quiz, QuizSlot


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class QuestionVersionInline(ReadOnlyMixin, admin.TabularInline):
    model = QuestionVersion
    fk_name = "question"
    extra = 0
    fields = ["number", "type", "points", "body", "created_by", "created_at"]
    readonly_fields = ["number", "type", "points", "body", "created_by", "created_at"]


@admin.register(Question)
class QuestionAdmin(SchoolScopedAdmin):
    list_display = ["title", "subject", "type", "tags", "updated_at"]
    list_filter = ["type", "subject", "school"]
    search_fields = ["title"]
    list_select_related = ["subject"]
    readonly_fields = ["type", "current_version"]
    inlines = [QuestionVersionInline]


class QuizSlotInline(admin.TabularInline):
    model = QuizSlot
    extra = 0
    fields = ["position", "question", "draw_tag", "draw_count"]
    raw_id_fields = ["question"]


@admin.register(Quiz)
class QuizAdmin(SchoolScopedAdmin):
    list_display = ["title", "subject", "status", "opens_at", "closes_at", "grading_method"]
    list_filter = ["status", "subject", "grading_method", "school"]
    search_fields = ["title"]
    date_hierarchy = "opens_at"
    list_select_related = ["subject"]
    filter_horizontal = ["classes"]
    inlines = [QuizSlotInline]

    def save_related(self, request, form, formsets, change):
        from apps.quizzes.snapshots import quiz_snapshots_forget

        super().save_related(request, form, formsets, change)
        quiz_snapshots_forget([form.instance.pk])


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyMixin, SchoolScopedAdmin):
    list_display = ["quiz", "student", "number", "status", "finished_by", "score", "max_score",
                    "finished_at"]  # fmt: skip
    list_filter = ["status", "finished_by", "quiz", "school"]
    search_fields = ["quiz__title", "student__username", "student__last_name"]
    list_select_related = ["quiz", "student"]


@admin.register(Answer)
class AnswerAdmin(ReadOnlyMixin, SchoolScopedAdmin):
    list_display = ["attempt", "question", "saved_at"]
    list_filter = ["school"]
    list_select_related = ["attempt", "question"]
