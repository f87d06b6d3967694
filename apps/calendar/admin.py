"""Admin for a school's calendar: academic years, the school week and holidays."""

from django.contrib import admin

from apps.calendar.models import AcademicYear, Holiday, SchoolWeek
from apps.core.admin import SchoolScopedAdmin


@admin.register(AcademicYear)
class AcademicYearAdmin(SchoolScopedAdmin):
    list_display = ["name", "starts_on", "ends_on"]
    list_filter = ["school"]
    search_fields = ["name"]


@admin.register(SchoolWeek)
class SchoolWeekAdmin(SchoolScopedAdmin):
    list_display = ["__str__", "school"]


@admin.register(Holiday)
class HolidayAdmin(SchoolScopedAdmin):
    list_display = ["name", "starts_on", "ends_on"]
    list_filter = ["school"]
    search_fields = ["name"]
    date_hierarchy = "starts_on"
