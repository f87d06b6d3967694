"""Where messages leave Schools24: one small class per channel, chosen in settings.

``NOTIFICATION_PROVIDERS`` maps a channel to a dotted class path. A provider's ``send`` gets the
delivery's ``key``: it is stable across retries, so a provider that supports idempotency keys (as
most SMS and push gateways do) sends a message once even when Schools24 asks twice after a crash.
Real gateways plug in by writing a class with the same ``send`` and naming it in settings.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class OutgoingMessage:
    channel: str
    to: str
    subject: str
    body: str
    key: str


class ProviderError(Exception):
    """The provider did not take the message; the delivery is retried later."""


class Provider:
    def send(self, message: OutgoingMessage) -> None:
        raise NotImplementedError


class EmailProvider(Provider):
    """Django's email backend (``EMAIL_URL``). The key becomes the Message-ID, so a message sent
    twice after a crash is one message to mail clients that de-duplicate by it."""

    def send(self, message: OutgoingMessage) -> None:
        domain = getattr(settings, "NOTIFICATION_EMAIL_DOMAIN", "schools24.local")
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            to=[message.to],
            headers={"Message-ID": f"<{message.key.replace(':', '.')}@{domain}>"},
        )
        try:
            email.send(fail_silently=False)
        except OSError as exc:
            raise ProviderError(str(exc)) from exc


class RecordingProvider(Provider):
    """Records each message in ``RecordedMessage`` instead of sending it (SMS and push by
    default, until a real gateway is configured). Idempotent by key."""

    def send(self, message: OutgoingMessage) -> None:
        from apps.notifications.models import RecordedMessage

        RecordedMessage.objects.get_or_create(
            key=message.key,
            defaults={
                "channel": message.channel,
                "to": message.to,
                "subject": message.subject,
                "body": message.body,
            },
        )


def provider_for(channel: str) -> Provider:
    path = settings.NOTIFICATION_PROVIDERS[channel]
    return import_string(path)()
