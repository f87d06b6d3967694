"""School admins see their school's notifications and deliveries; operators see the messages the
recording providers kept."""

from __future__ import annotations

from django.contrib import admin

from apps.core.admin import SchoolScopedAdmin
from apps.notifications.models import Delivery, Notification, Preference, RecordedMessage


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ["channel", "status", "send_after", "attempts", "sent_at", "last_error"]
    readonly_fields = ["channel", "status", "send_after", "attempts", "sent_at", "last_error"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(SchoolScopedAdmin):
    list_display = ["title", "recipient", "kind", "created_at", "read_at", "cancelled"]
    list_filter = ["kind", "cancelled"]
    search_fields = ["title", "recipient__username"]
    readonly_fields = ["recipient", "student", "kind", "title", "body", "data", "event_id"]
    exclude = ["dedupe_key"]
    inlines = [DeliveryInline]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Preference)
class PreferenceAdmin(SchoolScopedAdmin):
    list_display = ["user", "language", "quiet_start", "quiet_end"]
    search_fields = ["user__username"]


@admin.register(RecordedMessage)
class RecordedMessageAdmin(admin.ModelAdmin):
    list_display = ["sent_at", "channel", "to", "subject"]
    list_filter = ["channel"]
    readonly_fields = ["channel", "to", "subject", "body", "key", "sent_at"]

    def has_module_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
