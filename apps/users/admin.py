"""Admin for schools, people and classes, each page scoped to the admin's own school."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path

from apps.core.admin import SchoolScopedAdmin, is_school_staff
from apps.users.models import (
    Enrolment,
    GuardianLink,
    School,
    SchoolClass,
    Subject,
    TeacherAssignment,
    User,
)
from apps.users.selectors import directory_export
from apps.users.services import CSV_COLUMNS, directory_import, user_sign_out_everywhere
from apps.users.views import install_admin_login

MAX_IMPORT_BYTES = 5 * 1024 * 1024


class DirectoryImportForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[(kind, kind.replace("_", " ").capitalize()) for kind in CSV_COLUMNS]
    )
    file = forms.FileField(help_text="CSV (UTF-8) with a header row; see the columns below.")
    dry_run = forms.BooleanField(
        required=False, initial=True, help_text="Check every row and change nothing."
    )
    school = forms.ModelChoiceField(queryset=School.objects.all(), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not user.is_superuser:
            del self.fields["school"]  # a school admin imports into their own school only

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(f"The file is over {MAX_IMPORT_BYTES // 1024 // 1024} MB.")
        return upload

    def clean_school(self):
        school = self.cleaned_data.get("school")
        if school is None:
            raise forms.ValidationError("Choose the school to import into.")
        return school


@admin.register(School)
class SchoolAdmin(SchoolScopedAdmin):
    list_display = ["name", "slug", "timezone", "created_at"]
    search_fields = ["name", "slug"]

    # Only operators create or delete schools; a school admin may edit their own school's details.
    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(User)
class UserAdmin(SchoolScopedAdmin, DjangoUserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "school", "is_active"]
    list_filter = ["role", "is_active", "school"]
    search_fields = ["username", "first_name", "last_name", "email"]
    ordering = ["username"]
    actions = ["sign_out_everywhere"]
    add_fieldsets = ((None, {"fields": ("username", "role", "password1", "password2")}),)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            fieldsets = self.add_fieldsets
            if request.user.is_superuser:
                fieldsets = (
                    (None, {"fields": ("username", "school", "role", "password1", "password2")}),
                )
            return fieldsets
        base = [
            (None, {"fields": ("username", "password")}),
            ("Person", {"fields": ("first_name", "last_name", "email", "role")}),
            ("Access", {"fields": ("is_active", "is_staff")}),
        ]
        if request.user.is_superuser:
            base[1][1]["fields"] = ("first_name", "last_name", "email", "school", "role")
            base[2][1]["fields"] = ("is_active", "is_staff", "is_superuser", "groups")
        return base

    def get_urls(self):
        return [
            path(
                "directory/",
                self.admin_site.admin_view(self.directory_view),
                name="users_directory",
            ),
            path(
                "directory/export/<str:kind>/",
                self.admin_site.admin_view(self.directory_export_view),
                name="users_directory_export",
            ),
            *super().get_urls(),
        ]

    def directory_view(self, request):
        """Upload a CSV of one kind: a dry run lists every bad row; an import is all or
        nothing. The same page links to each kind's export."""
        report = None
        form = DirectoryImportForm(request.POST or None, request.FILES or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            school = form.cleaned_data.get("school") or request.user.school
            report = directory_import(
                school=school,
                kind=form.cleaned_data["kind"],
                data=form.cleaned_data["file"].read(),
                dry_run=form.cleaned_data["dry_run"],
            )
        context = {
            **self.admin_site.each_context(request),
            "title": "Import and export people and classes",
            "form": form,
            "report": report,
            "columns": CSV_COLUMNS,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/users/directory.html", context)

    def directory_export_view(self, request, kind):
        if kind not in CSV_COLUMNS:
            return HttpResponse("Unknown export.", status=404, content_type="text/plain")
        school = request.user.school
        if request.user.is_superuser:
            school = School.objects.filter(pk=request.GET.get("school")).first() or school
        if school is None:
            return HttpResponse(
                "Choose a school: ?school=<id>.", status=400, content_type="text/plain"
            )
        response = HttpResponse(
            directory_export(school=school, kind=kind), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{school.slug}-{kind}.csv"'
        return response

    @admin.action(description="Sign out everywhere (end all sessions and app logins)")
    def sign_out_everywhere(self, request, queryset):
        # The queryset is already scoped to the admin's school by SchoolScopedAdmin.
        people = list(queryset)
        for person in people:
            user_sign_out_everywhere(user=person)
        self.message_user(request, f"Signed out {len(people)} people everywhere.")

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            # A school admin can never mint an operator or move someone to another school.
            obj.school_id = request.user.school_id
            obj.is_superuser = False
        obj.is_staff = obj.role == "school_admin" or obj.is_superuser
        super().save_model(request, obj, form, change)


@admin.register(SchoolClass)
class SchoolClassAdmin(SchoolScopedAdmin):
    list_display = ["__str__", "grade", "section", "academic_year", "class_teacher"]
    list_filter = ["academic_year", "grade", "school"]
    search_fields = ["section", "academic_year"]


@admin.register(Subject)
class SubjectAdmin(SchoolScopedAdmin):
    list_display = ["name", "code"]
    list_filter = ["school"]
    search_fields = ["name", "code"]


@admin.register(Enrolment)
class EnrolmentAdmin(SchoolScopedAdmin):
    list_display = ["student", "school_class", "roll_number"]
    list_filter = ["school_class", "school"]
    search_fields = ["student__username", "student__first_name", "student__last_name"]
    list_select_related = ["student", "school_class"]


@admin.register(TeacherAssignment)
class TeacherAssignmentAdmin(SchoolScopedAdmin):
    list_display = ["teacher", "school_class", "subject"]
    list_filter = ["school_class", "subject", "school"]
    search_fields = ["teacher__username", "teacher__last_name"]
    list_select_related = ["teacher", "school_class", "subject"]


@admin.register(GuardianLink)
class GuardianLinkAdmin(SchoolScopedAdmin):
    list_display = ["guardian", "student", "relationship"]
    list_filter = ["school"]
    search_fields = ["guardian__username", "student__username"]
    list_select_related = ["guardian", "student"]


admin.site.site_header = "Schools24 administration"
_each_context = admin.site.each_context


def _each_context_with_school(request):
    """A school admin sees their school's name in the header: the admin of which school."""
    context = _each_context(request)
    school = getattr(request.user, "school", None)
    if school is not None:
        context["site_header"] = f"{school.name}: Schools24 administration"
    return context


admin.site.each_context = _each_context_with_school  # type: ignore[method-assign]
admin.site.site_title = "Schools24"
# Django documents replacing the site's has_permission; the stubs see a method.
admin.site.has_permission = lambda request: is_school_staff(request.user)  # type: ignore[method-assign]
install_admin_login()
