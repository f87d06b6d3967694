"""Turning domain events into notifications, and sending them.

``notifications_for_event`` is the event handler's work: it decides who hears about an event and
creates their inbox items and deliveries, each under a unique key, so running it twice for one
event (events arrive at least once) creates nothing new. ``delivery_send`` sends one delivery:
it claims the row first, and a claim left by a worker that died mid-send expires after
``SENDING_TIMEOUT_SECONDS``; the retry reuses the delivery's key, which the provider de-duplicates.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.core.errors import ApplicationError
from apps.events.services import event_publish
from apps.events.types import Event, EventType
from apps.notifications.messages import render
from apps.notifications.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    Kind,
    Notification,
    Preference,
)
from apps.notifications.providers import OutgoingMessage, ProviderError, provider_for
from apps.notifications.selectors import guardians_of, preferences_of, wishes_of
from apps.users.models import Enrolment, School, User

logger = logging.getLogger(__name__)


def notification_settings() -> dict[str, Any]:
    return {
        "ABSENCE_GRACE_SECONDS": 10 * 60,
        "SENDING_TIMEOUT_SECONDS": 5 * 60,
        "MAX_ATTEMPTS": 8,
        "RETRY_BASE_SECONDS": 30,
        **getattr(settings, "NOTIFICATIONS", {}),
    }


@dataclass
class Intent:
    """Someone should hear about something."""

    recipient: User
    student: User | None
    kind: str
    context: dict[str, Any]
    data: dict[str, Any] = field(default_factory=dict)
    delay_seconds: int = 0
    key_suffix: str = ""


# --- who hears about what --------------------------------------------------------------------
def _users(ids: set[uuid.UUID]) -> dict[uuid.UUID, User]:
    return {u.pk: u for u in User.objects.filter(pk__in=ids, is_active=True)}


def _student_and_guardians(
    student_ids: set[uuid.UUID],
) -> tuple[dict[uuid.UUID, User], dict[uuid.UUID, list[User]]]:
    return _users(student_ids), guardians_of(student_ids)


def _name(user: User) -> str:
    return user.get_full_name() or user.username


def _for_student_and_guardians(
    student: User, guardians: list[User], kind: str, context: dict, data: dict, **extra: Any
) -> list[Intent]:
    context = {**context, "student": _name(student)}
    return [
        Intent(recipient=person, student=student, kind=kind, context=context, data=data, **extra)
        for person in [student, *guardians]
    ]


def _homework_assigned(event: Event) -> list[Intent]:
    data = event.data
    student_ids = set(
        Enrolment.objects.filter(school_class_id=data["class_id"]).values_list(
            "student_id", flat=True
        )
    )
    students, guardians = _student_and_guardians(student_ids)
    context = {
        "title": data["title"],
        "subject": data.get("subject", ""),
        "due": data.get("due_at", ""),
    }
    intents: list[Intent] = []
    for sid, student in students.items():
        intents += _for_student_and_guardians(
            student,
            guardians[sid],
            Kind.HOMEWORK_ASSIGNED,
            context,
            {"homework_id": data["homework_id"]},
        )
    return intents


ALERT_CODES = {"absent", "late"}


def _register_taken(event: Event) -> list[Intent]:
    data = event.data
    changes = data.get("changes", [])
    alerts = {uuid.UUID(c["student_id"]): c for c in changes if c["code"] in ALERT_CODES}
    cleared = [
        c for c in changes if c.get("previous_code") in ALERT_CODES and c["code"] not in ALERT_CODES
    ]
    for change in cleared:
        _absence_withdraw(event=event, register_id=data["register_id"], change=change)
    students, guardians = _student_and_guardians(set(alerts))
    grace = notification_settings()["ABSENCE_GRACE_SECONDS"]
    intents: list[Intent] = []
    for sid, student in students.items():
        change = alerts[sid]
        context = {
            "code": change["code"],
            "date": data["date"],
            "class": data.get("class_name", ""),
            "period": data.get("period_name", ""),
        }
        payload = {
            "register_id": data["register_id"],
            "student_id": str(sid),
            "code": change["code"],
        }
        intents += _for_student_and_guardians(
            student, guardians[sid], Kind.ABSENCE, context, payload, delay_seconds=grace
        )
    return intents


def _absence_withdraw(*, event: Event, register_id: str, change: dict) -> None:
    """A student marked absent is re-marked present: absence alerts not yet sent are cancelled
    (and leave the inbox); where one already went out, a correction follows."""
    earlier = Notification.objects.filter(
        kind=Kind.ABSENCE,
        cancelled=False,
        data__register_id=register_id,
        data__student_id=change["student_id"],
        data__correction__isnull=True,
    ).prefetch_related("deliveries")
    for notification in earlier:
        with transaction.atomic():
            pending = notification.deliveries.filter(
                status__in=[DeliveryStatus.PENDING, DeliveryStatus.DIGEST]
            ).update(status=DeliveryStatus.CANCELLED)
            went_out = notification.deliveries.exclude(status=DeliveryStatus.CANCELLED).exists()
            if not went_out:
                notification.cancelled = True
                notification.save(update_fields=["cancelled"])
                continue
        logger.info(
            "absence alert %s: %s deliveries cancelled, correcting", notification.pk, pending
        )
        intent = Intent(
            recipient=notification.recipient,
            student=notification.student,
            kind=Kind.ABSENCE,
            context={
                "student": _name(notification.student) if notification.student else "",
                "code": change["code"],
                "date": event.data["date"],
                "correction": True,
            },
            data={**notification.data, "correction": str(notification.pk)},
            key_suffix=f":correction:{notification.pk}",
        )
        _notify(intent=intent, event=event, school_id=notification.school_id)


def _graded(event: Event) -> list[Intent]:
    data = event.data
    if "scores" in data:  # an assessment: many students at once
        marks = data["scores"]
    else:  # one homework submission
        marks = [
            {
                "student_id": data["student_id"],
                "score": f"{data['final_score']}/{data['max_score']}",
            }
        ]
    scores = {uuid.UUID(m["student_id"]): m.get("score", "") for m in marks}
    students, guardians = _student_and_guardians(set(scores))
    kind = Kind.GRADE_PUBLISHED
    intents: list[Intent] = []
    for sid, student in students.items():
        context = {"title": data.get("title", ""), "score": scores[sid]}
        payload = {k: v for k, v in data.items() if k.endswith("_id")}
        intents += _for_student_and_guardians(student, guardians[sid], kind, context, payload)
    return intents


def _quiz_graded(event: Event) -> list[Intent]:
    """No score in the message: the quiz's review options decide when a student may see it,
    and the app shows it then."""
    from apps.quizzes.models import Quiz

    data = event.data
    sid = uuid.UUID(data["student_id"])
    students, guardians = _student_and_guardians({sid})
    if sid not in students:
        return []
    title = Quiz.objects.filter(pk=data["quiz_id"]).values_list("title", flat=True).first()
    payload = {"quiz_id": data["quiz_id"], "attempt_id": data["attempt_id"]}
    return _for_student_and_guardians(
        students[sid], guardians[sid], Kind.QUIZ_RESULT, {"title": title or ""}, payload
    )


def _fee_due(event: Event) -> list[Intent]:
    data = event.data
    sid = uuid.UUID(data["student_id"])
    students, guardians = _student_and_guardians({sid})
    if sid not in students:
        return []
    context = {
        "amount": f"{data['amount']} {data.get('currency', '')}".strip(),
        "due": data["due_date"],
    }
    # Fees are the guardians' business; the student hears only if they asked to.
    return _for_student_and_guardians(
        students[sid], guardians[sid], Kind.FEE_DUE, context, {"invoice_id": data.get("invoice_id")}
    )


_BUILDERS = {
    EventType.HOMEWORK_ASSIGNED: _homework_assigned,
    EventType.REGISTER_TAKEN: _register_taken,
    EventType.MARK_CHANGED: _register_taken,
    EventType.SUBMISSION_GRADED: _graded,
    EventType.ASSESSMENT_MARKED: _graded,
    EventType.GRADE_PUBLISHED: _graded,
    EventType.QUIZ_ATTEMPT_GRADED: _quiz_graded,
    EventType.FEE_DUE: _fee_due,
}
HANDLED_TYPES = frozenset(_BUILDERS)


def notifications_for_event(*, event: Event) -> list[Notification]:
    intents = _BUILDERS[event.type](event)
    created = []
    for intent in intents:
        notification = _notify(intent=intent, event=event, school_id=event.school_id)
        if notification is not None:
            created.append(notification)
    return created


def notify_directly(
    *, intent: Intent, source_key: str, school_id: uuid.UUID
) -> Notification | None:
    """For notifications that do not come from a domain event (early warnings): ``source_key``
    plays the event id's part in the de-duplication key."""
    return _notify(intent=intent, event=None, school_id=school_id, source_key=source_key)


# --- creating ----------------------------------------------------------------------------------
def _school_tz(school_id: Any) -> ZoneInfo:
    name = School.objects.filter(pk=school_id).values_list("timezone", flat=True).first()
    return ZoneInfo(name or "UTC")


def release_time(
    *, at: datetime, quiet_start: time | None, quiet_end: time | None, tz: ZoneInfo
) -> datetime:
    """``at``, or the end of the recipient's quiet hours if ``at`` falls inside them (quiet
    hours may run past midnight, e.g. 21:00-07:00)."""
    if quiet_start is None or quiet_end is None or quiet_start == quiet_end:
        return at
    local = at.astimezone(tz)
    now_t = local.time()
    if quiet_start < quiet_end:
        inside = quiet_start <= now_t < quiet_end
        end_day = local.date()
    else:
        inside = now_t >= quiet_start or now_t < quiet_end
        end_day = local.date() + timedelta(days=1) if now_t >= quiet_start else local.date()
    if not inside:
        return at
    return datetime.combine(end_day, quiet_end, tzinfo=tz)


def _notify(
    *, intent: Intent, event: Event | None, school_id: Any, source_key: str | None = None
) -> Notification | None:
    prefs = preferences_of({intent.recipient.pk})
    wishes = wishes_of(
        user=intent.recipient, kind=intent.kind, preference=prefs.get(intent.recipient.pk)
    )
    if wishes.channels is None:
        return None
    source = source_key or (event.id if event else uuid.uuid4().hex)
    student_part = intent.student.pk if intent.student else "-"
    dedupe_key = f"{source}:{intent.recipient.pk}:{student_part}{intent.key_suffix}"
    text = render(intent.kind, language=wishes.language, context=intent.context)
    now = timezone.now()
    tz = _school_tz(school_id)
    send_after = release_time(
        at=now + timedelta(seconds=intent.delay_seconds),
        quiet_start=wishes.quiet_start,
        quiet_end=wishes.quiet_end,
        tz=tz,
    )
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                school_id=school_id,
                recipient=intent.recipient,
                student=intent.student,
                kind=intent.kind,
                title=text.title[:200],
                body=text.body[:2000],
                data=intent.data,
                event_id=uuid.UUID(event.id) if event else None,
                dedupe_key=dedupe_key,
            )
            deliveries = [
                Delivery(
                    notification=notification,
                    channel=channel,
                    key=f"{dedupe_key}:{channel}",
                    status=DeliveryStatus.DIGEST if wishes.digest else DeliveryStatus.PENDING,
                    send_after=send_after,
                )
                for channel in wishes.channels
                if channel in Channel.values
            ]
            Delivery.objects.bulk_create(deliveries)
    except IntegrityError:
        return None  # this event was handled before: nothing new
    due_now = [
        d.pk for d in deliveries if d.status == DeliveryStatus.PENDING and d.send_after <= now
    ]
    transaction.on_commit(lambda: _queue(due_now))
    # Published as an event so the websocket server relays it to the recipient's open sockets.
    event_publish(
        Event(
            type=EventType.NOTIFICATION_CREATED,
            school_id=str(school_id),
            data={
                "id": str(notification.pk),
                "kind": notification.kind,
                "title": notification.title,
            },
            user_ids=(str(intent.recipient.pk),),
        )
    )
    return notification


def _queue(delivery_ids: list[uuid.UUID]) -> None:
    from apps.notifications.tasks import deliver_notification

    for delivery_id in delivery_ids:
        try:
            deliver_notification.delay(str(delivery_id))
        except Exception:  # noqa: BLE001 - the minutely sweep sends it; never fail the handler
            logger.warning("could not queue delivery %s", delivery_id, exc_info=True)


# --- sending ----------------------------------------------------------------------------------
def _address(delivery: Delivery, recipient: User, preference: Preference | None) -> str | None:
    if delivery.channel == Channel.EMAIL:
        return recipient.email or None
    if delivery.channel == Channel.SMS:
        return (preference.sms_number if preference else "") or None
    return str(recipient.pk)  # push: the provider resolves the person's devices


def deliveries_due(*, now: datetime | None = None) -> list[uuid.UUID]:
    now = now or timezone.now()
    stale = now - timedelta(seconds=notification_settings()["SENDING_TIMEOUT_SECONDS"])
    return list(
        Delivery.objects.filter(
            Q(status=DeliveryStatus.PENDING, send_after__lte=now)
            | Q(status=DeliveryStatus.SENDING, claimed_at__lt=stale)
        ).values_list("pk", flat=True)[:5000]
    )


def delivery_send(*, delivery_id: uuid.UUID) -> str:
    """Send one delivery if it is due and nobody else is sending it. Returns its new status."""
    conf = notification_settings()
    now = timezone.now()
    stale = now - timedelta(seconds=conf["SENDING_TIMEOUT_SECONDS"])
    claimed = Delivery.objects.filter(
        Q(status=DeliveryStatus.PENDING, send_after__lte=now)
        | Q(status=DeliveryStatus.SENDING, claimed_at__lt=stale),
        pk=delivery_id,
    ).update(status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return "skipped"
    delivery = Delivery.objects.select_related("notification__recipient").get(pk=delivery_id)
    notification = delivery.notification
    recipient = notification.recipient
    preference = preferences_of({recipient.pk}).get(recipient.pk)
    address = _address(delivery, recipient, preference)
    if address is None:
        _finish(
            delivery,
            DeliveryStatus.FAILED,
            error=f"no {delivery.get_channel_display()} address on file",
        )
        return DeliveryStatus.FAILED
    message = OutgoingMessage(
        channel=delivery.channel,
        to=address,
        subject=notification.title,
        body=notification.body,
        key=delivery.key,
    )
    try:
        provider_for(delivery.channel).send(message)
    except (ProviderError, OSError) as exc:
        if delivery.attempts >= conf["MAX_ATTEMPTS"]:
            _finish(delivery, DeliveryStatus.FAILED, error=str(exc))
            return DeliveryStatus.FAILED
        backoff = conf["RETRY_BASE_SECONDS"] * 2 ** (delivery.attempts - 1)
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.PENDING,
            send_after=timezone.now() + timedelta(seconds=min(backoff, 6 * 3600)),
            last_error=str(exc)[:1000],
        )
        return DeliveryStatus.PENDING
    _finish(delivery, DeliveryStatus.SENT)
    return DeliveryStatus.SENT


def _finish(delivery: Delivery, status: str, *, error: str = "") -> None:
    Delivery.objects.filter(pk=delivery.pk).update(
        status=status,
        sent_at=timezone.now() if status == DeliveryStatus.SENT else None,
        last_error=error[:1000],
    )


def digests_send(*, day: date) -> int:
    """One message per (recipient, channel) with every digest item created on or before ``day``
    (UTC). Run for a day that has ended, so the set (and so the message) never changes: a rerun
    after a crash sends the same key, which the provider de-duplicates."""
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=ZoneInfo("UTC"))
    waiting = (
        Delivery.objects.filter(status=DeliveryStatus.DIGEST, notification__created_at__lt=end)
        .select_related("notification__recipient")
        .order_by("notification__created_at")
    )
    groups: dict[tuple[uuid.UUID, str], list[Delivery]] = {}
    for delivery in waiting:
        groups.setdefault((delivery.notification.recipient_id, delivery.channel), []).append(
            delivery
        )
    sent = 0
    for (recipient_id, channel), items in groups.items():
        recipient = items[0].notification.recipient
        preference = preferences_of({recipient_id}).get(recipient_id)
        address = _address(items[0], recipient, preference)
        if address is None:
            Delivery.objects.filter(pk__in=[d.pk for d in items]).update(
                status=DeliveryStatus.FAILED, last_error=f"no {channel} address on file"
            )
            continue
        text = render(
            Kind.DIGEST,
            language=preference.language if preference else "en",
            context={"count": len(items), "lines": [d.notification.title for d in items]},
        )
        message = OutgoingMessage(
            channel=channel,
            to=address,
            subject=text.title,
            body=text.body,
            key=f"digest:{recipient_id}:{channel}:{day.isoformat()}",
        )
        try:
            provider_for(channel).send(message)
        except (ProviderError, OSError):
            logger.warning(
                "digest for %s by %s not sent; next run retries",
                recipient_id,
                channel,
                exc_info=True,
            )
            continue
        Delivery.objects.filter(pk__in=[d.pk for d in items]).update(
            status=DeliveryStatus.DIGESTED, sent_at=timezone.now()
        )
        sent += 1
    return sent


# --- the inbox and preferences ---------------------------------------------------------------
def notification_mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def preference_update(*, user: User, **values: Any) -> Preference:
    languages = {code for code, _name in settings.LANGUAGES}
    errors: dict[str, list[str]] = {}
    if "language" in values and values["language"] not in languages:
        errors["language"] = [f"Choose one of: {', '.join(sorted(languages))}."]
    for kind, channels in (values.get("channels") or {}).items():
        if kind not in Kind.values or kind == Kind.DIGEST:
            errors.setdefault("channels", []).append(f"Unknown kind {kind!r}.")
        elif channels is not None and (
            not isinstance(channels, list) or any(c not in Channel.values for c in channels)
        ):
            errors.setdefault("channels", []).append(
                f"{kind}: a list of {', '.join(Channel.values)}, or null to mute."
            )
    for kind in values.get("digest_kinds") or []:
        if kind not in Kind.values:
            errors.setdefault("digest_kinds", []).append(f"Unknown kind {kind!r}.")
    if errors:
        raise ApplicationError("Some preferences are not valid; nothing was saved.", fields=errors)
    preference, _created = Preference.objects.get_or_create(
        user=user, defaults={"school_id": user.school_id}
    )
    for name, value in values.items():
        setattr(preference, name, value)
    preference.full_clean(exclude=["user", "school"])
    preference.save()
    return preference
