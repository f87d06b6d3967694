"""What a classroom's smart board shows besides the domains' live data: teachers' announcements,
what a teacher asked it to show, and the board devices that may log in to it."""

from __future__ import annotations

import uuid

from django.db import models

from apps.core.tenancy import SchoolOwned


class BoardDevice(SchoolOwned):
    """A smart board's login: a long-lived token for one class's board, revocable by an admin.

    Only a SHA-256 of the token is stored; the token itself is shown once, when it is issued.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school_class = models.ForeignKey(
        "users.SchoolClass", on_delete=models.CASCADE, related_name="board_devices"
    )
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        "users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        "users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["school_class", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.school_class})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Announcement(SchoolOwned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school_class = models.ForeignKey(
        "users.SchoolClass", on_delete=models.CASCADE, related_name="announcements"
    )
    text = models.CharField(max_length=500)
    created_by = models.ForeignKey(
        "users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(help_text="Shown on the board until then.")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["school_class", "-created_at"])]

    def __str__(self) -> str:
        return self.text[:60]


class BoardFocus(SchoolOwned):
    """What a class's teacher asked the board to show now (a homework, a quiz...)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school_class = models.OneToOneField(
        "users.SchoolClass", on_delete=models.CASCADE, related_name="board_focus"
    )
    kind = models.CharField(max_length=30)
    object_id = models.UUIDField()
    summary = models.JSONField(default=dict, help_text="What the board displays of the object.")
    shown_by = models.ForeignKey(
        "users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    shown_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "board focuses"

    def __str__(self) -> str:
        return f"{self.school_class}: {self.kind} {self.object_id}"
