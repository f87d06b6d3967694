from django.contrib import admin, messages
from django.utils import timezone

from apps.core.admin import SchoolScopedAdmin
from apps.dashboards.models import Announcement, BoardDevice
from apps.dashboards.services import board_device_revoke


@admin.register(BoardDevice)
class BoardDeviceAdmin(SchoolScopedAdmin):
    """Devices are issued through the API (the token is shown once); here they are revoked."""

    list_display = ["name", "school_class", "created_at", "revoked_at"]
    list_filter = ["revoked_at"]
    readonly_fields = ("school_class", "name", "created_by", "created_at", "revoked_at")
    fields = readonly_fields
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke the selected board devices (their boards disconnect)")
    def revoke(self, request, queryset):
        for device in queryset.filter(revoked_at__isnull=True):
            board_device_revoke(device=device, revoked_by=request.user)
        messages.success(request, f"Revoked at {timezone.now():%H:%M}.")


@admin.register(Announcement)
class AnnouncementAdmin(SchoolScopedAdmin):
    """Announcements are made through the API (which tells the boards); here they are read."""

    list_display = ["text", "school_class", "created_by", "created_at", "expires_at"]
    readonly_fields = ("school_class", "text", "created_by", "created_at", "expires_at")
    fields = readonly_fields

    def has_add_permission(self, request):
        return False
