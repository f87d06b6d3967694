"""Admin: the write buffer's live state, dead letters (retry / discard) and a "sync now" button.

Shown on the sync-run list page. Operators only: the buffer mixes every school's records.
"""

from __future__ import annotations

import logging

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django_redis.exceptions import CompressorError
from redis.exceptions import RedisError, ResponseError

from apps.writebuffer.cache import buffer_client
from apps.writebuffer.models import CompressionDictionary, SyncRun
from apps.writebuffer.registry import NotRegistered, registration_for
from apps.writebuffer.status import buffer_status
from apps.writebuffer.tasks import request_sync

logger = logging.getLogger(__name__)


class PendingWritesNotice(admin.ModelAdmin):
    """For a buffered model's changelist, which lists stored rows only: say how many writes
    still wait for the sync and, for operators, link to the page that syncs now."""

    def changelist_view(self, request, extra_context=None):
        try:
            label = registration_for(self.model).label
            pending = buffer_client().model_status(label)["pending"]
        except (NotRegistered, RedisError):
            pending = 0
        if pending and request.user.is_superuser:
            messages.info(
                request,
                format_html(
                    "{} writes of {} are waiting for the sync and are not listed yet. "
                    '<a href="{}">Sync now</a>',
                    pending,
                    self.model._meta.verbose_name_plural,
                    reverse("admin:writebuffer_syncrun_changelist"),
                ),
            )
        elif pending:
            # The count covers every school of the install; a school admin is told only that
            # some writes wait.
            messages.info(
                request,
                "Recent writes are waiting for the sync (within the hour) and are not listed yet.",
            )
        return super().changelist_view(request, extra_context=extra_context)


class OperatorOnlyAdmin(admin.ModelAdmin):
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SyncRun)
class SyncRunAdmin(OperatorOnlyAdmin):
    change_list_template = "admin/writebuffer/syncrun/change_list.html"
    list_display = [
        "started_at",
        "trigger",
        "status",
        "records_synced",
        "records_failed",
        "dead_lettered",
        "bytes_freed",
        "duration_seconds",
    ]
    list_filter = ["status", "trigger"]

    def get_urls(self):
        return [
            path(
                "sync-now/", self.admin_site.admin_view(self.sync_now), name="writebuffer-sync-now"
            ),
            path(
                "dead-letter/<str:label>/<str:dead_id>/<str:action>/",
                self.admin_site.admin_view(self.dead_letter_action),
                name="writebuffer-dead-letter",
            ),
            *super().get_urls(),
        ]

    def _back(self):
        return HttpResponseRedirect(reverse("admin:writebuffer_syncrun_changelist"))

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        try:
            extra_context["buffer"] = buffer_status()
        except RedisError as exc:
            extra_context["buffer_error"] = f"The buffer's Redis is unreachable: {exc}"
        return super().changelist_view(request, extra_context=extra_context)

    def sync_now(self, request):
        if request.method != "POST" or not self.has_module_permission(request):
            return self._back()
        if request_sync(trigger=f"admin:{request.user.username}"):
            messages.success(request, "A sync was queued; refresh this page to see it.")
        else:
            messages.warning(
                request, "A sync was requested less than 30 seconds ago (or the broker is down)."
            )
        return self._back()

    def dead_letter_action(self, request, label, dead_id, action):
        if request.method != "POST" or not self.has_module_permission(request):
            return self._back()
        try:
            registration_for(label)  # refuses labels that are not buffered models
            client = buffer_client()
            if action == "retry":
                new_id = client.dead_letter_retry(label, dead_id)
                if new_id is None:
                    messages.error(request, f"There is no dead letter {dead_id} of {label}.")
                else:
                    messages.success(request, f"Dead letter {dead_id} queued again as {new_id}.")
            elif action == "discard":
                if client.dead_letter_discard(label, dead_id):
                    logger.warning(
                        "dead letter %s of %s discarded by %s", dead_id, label, request.user
                    )
                    messages.success(request, f"Dead letter {dead_id} discarded.")
                else:
                    messages.error(request, f"There is no dead letter {dead_id} of {label}.")
        except (NotRegistered, ResponseError) as exc:
            messages.error(request, f"Nothing done: {exc}")
        except CompressorError as exc:
            messages.error(request, f"Dead letter {dead_id} cannot be decoded ({exc}); discard it.")
        return self._back()


@admin.register(CompressionDictionary)
class CompressionDictionaryAdmin(OperatorOnlyAdmin):
    """Read-only and never deleted: pending payloads may still need any of them."""

    list_display = ["id", "size_bytes", "sample_count", "sample_bytes", "is_active", "created_at"]
    exclude = ["data"]
