"""Operators see events handlers gave up on, and run them again once the cause is fixed."""

from __future__ import annotations

from django.contrib import admin, messages

from apps.events.models import FailedEvent
from apps.events.services import failed_event_retry


@admin.register(FailedEvent)
class FailedEventAdmin(admin.ModelAdmin):
    list_display = ["handler", "event_id", "deliveries", "created_at", "error"]
    list_filter = ["handler"]
    readonly_fields = ["handler", "event_id", "payload", "error", "deliveries", "created_at"]
    actions = ["retry"]

    def has_module_permission(self, request) -> bool:
        # Events of every school are here: operators (superusers) only.
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    @admin.action(description="Run the handler again")
    def retry(self, request, queryset) -> None:
        done = 0
        for failed in queryset:
            try:
                failed_event_retry(failed=failed)
            except Exception as exc:  # noqa: BLE001 - report each failure, go on with the rest
                self.message_user(request, f"{failed}: {exc}", messages.ERROR)
            else:
                done += 1
        self.message_user(request, f"{done} event(s) handled.", messages.SUCCESS)
