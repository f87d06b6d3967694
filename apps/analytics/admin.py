"""School admins search their school's activity log and set early-warning thresholds."""

from __future__ import annotations

from django.contrib import admin

from apps.analytics.models import ActivityEntry, EarlyWarning, WarningRule
from apps.core.admin import SchoolScopedAdmin


@admin.register(ActivityEntry)
class ActivityEntryAdmin(SchoolScopedAdmin):
    list_display = ["occurred_at", "action", "actor", "object_type", "object_id", "address"]
    list_filter = ["action", "object_type", ("occurred_at", admin.DateFieldListFilter)]
    search_fields = ["action", "object_id", "actor__username", "address", "client"]
    date_hierarchy = "occurred_at"
    readonly_fields = [
        "occurred_at", "actor", "action", "object_type", "object_id", "details", "address",
        "client", "event_id",
    ]  # fmt: skip
    list_select_related = ["actor"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WarningRule)
class WarningRuleAdmin(SchoolScopedAdmin):
    list_display = ["kind", "threshold", "window_days", "notify_guardians", "enabled"]


@admin.register(EarlyWarning)
class EarlyWarningAdmin(SchoolScopedAdmin):
    list_display = ["student", "kind", "value", "threshold", "raised_at", "resolved_at"]
    list_filter = ["kind", ("resolved_at", admin.EmptyFieldListFilter)]
    readonly_fields = ["student", "kind", "value", "threshold", "reason", "raised_at"]

    def has_add_permission(self, request) -> bool:
        return False
