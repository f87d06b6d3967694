"""Notifications: the in-app inbox, deliveries by channel, and each person's preferences.

One ``Notification`` per (event, recipient, child it concerns) is the inbox item; it has one
``Delivery`` per outside channel (email, SMS, push). A delivery's ``key`` is unique: the handler
that creates it may run twice for one event (events are delivered at least once) and still makes
one. The key also goes to the provider, so a send repeated after a crash is recognised there.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from apps.core.tenancy import SchoolOwned


class Kind(models.TextChoices):
    HOMEWORK_ASSIGNED = "homework_assigned", "Homework assigned"
    ABSENCE = "absence", "Absence or late arrival"
    GRADE_PUBLISHED = "grade_published", "Grade published"
    QUIZ_RESULT = "quiz_result", "Quiz result"
    FEE_DUE = "fee_due", "Fee due or overdue"
    EARLY_WARNING = "early_warning", "Early warning"
    DIGEST = "digest", "Daily digest"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    PUSH = "push", "Push"


class Preference(SchoolOwned):
    """How one person wants to hear from the school. Kinds not listed in ``channels`` use the
    defaults for the person's role (``preferences.default_channels``)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    # kind -> list of channels ([] keeps only the in-app inbox; a kind set to null is muted).
    channels = models.JSONField(default=dict, blank=True)
    digest_kinds = models.JSONField(
        default=list, blank=True, help_text="Kinds collected into one message a day."
    )
    quiet_start = models.TimeField(null=True, blank=True)
    quiet_end = models.TimeField(null=True, blank=True)
    # A code of settings.LANGUAGES (checked by the service; no choices, so adding a language
    # needs no migration).
    language = models.CharField(max_length=10, default="en")
    sms_number = models.CharField(max_length=20, blank=True)

    def __str__(self) -> str:
        return f"preferences of {self.user}"


class Notification(SchoolOwned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    # The child a guardian's notification is about (the student themself otherwise).
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(max_length=2000)
    data = models.JSONField(default=dict, blank=True)
    event_id = models.UUIDField(null=True, blank=True)
    dedupe_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    cancelled = models.BooleanField(
        default=False, help_text="Withdrawn before anyone was told (e.g. an absence re-marked)."
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.title}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    DIGEST = "digest", "Waiting for the daily digest"
    DIGESTED = "digested", "Sent in a digest"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Failed"


class Delivery(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    key = models.CharField(max_length=220, unique=True)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    send_after = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        indexes = [models.Index(fields=["status", "send_after"])]

    def __str__(self) -> str:
        return f"{self.channel} {self.key} ({self.status})"


class RecordedMessage(models.Model):
    """What the repo's recording providers "sent": development, demos and tests see every message
    here (the admin lists them) instead of reaching a real phone. Unique by the delivery key, as
    a real provider's idempotency key would be."""

    channel = models.CharField(max_length=10, choices=Channel.choices)
    to = models.CharField(max_length=200)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    key = models.CharField(max_length=220, unique=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"{self.channel} to {self.to}: {self.subject}"
