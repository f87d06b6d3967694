"""Admin for schools, people and classes, each page scoped to the admin's own school."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

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
from apps.users.services import user_sign_out_everywhere
from apps.users.views import install_admin_login


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
admin.site.site_title = "Schools24"
# Django documents replacing the site's has_permission; the stubs see a method.
admin.site.has_permission = lambda request: is_school_staff(request.user)  # type: ignore[method-assign]
install_admin_login()
