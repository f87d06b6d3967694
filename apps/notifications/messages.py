"""What each kind of notification says, in the recipient's language."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from apps.notifications.models import Kind


@dataclass(frozen=True)
class Text:
    title: str
    body: str


def render(kind: str, *, language: str, context: dict[str, Any]) -> Text:
    with translation.override(language):
        return _RENDERERS[kind](context)


def _homework(c: dict[str, Any]) -> Text:
    return Text(
        _("New homework: %(title)s") % c,
        _("%(student)s has new %(subject)s homework, due %(due)s: %(title)s") % c,
    )


def _absence(c: dict[str, Any]) -> Text:
    if c.get("correction"):
        return Text(
            _("Correction: %(student)s is marked %(code)s") % c,
            _("%(student)s is now marked %(code)s on %(date)s; please ignore the earlier message.")
            % c,
        )
    return Text(
        _("%(student)s was marked %(code)s") % c,
        _("%(student)s was marked %(code)s on %(date)s (%(class)s, %(period)s).") % c,
    )


def _grade(c: dict[str, Any]) -> Text:
    return Text(
        _("New grade: %(title)s") % c,
        _("%(student)s has a new mark in %(title)s: %(score)s.") % c,
    )


def _quiz(c: dict[str, Any]) -> Text:
    return Text(
        _("Quiz graded: %(title)s") % c,
        _(
            "%(student)s's attempt at the quiz %(title)s is graded; results show in the app when "
            "the teacher releases them."
        )
        % c,
    )


def _fee(c: dict[str, Any]) -> Text:
    return Text(
        _("Fee due for %(student)s") % c,
        _("%(amount)s is due for %(student)s on %(due)s.") % c,
    )


def _warning(c: dict[str, Any]) -> Text:
    return Text(
        _("Early warning for %(student)s") % c,
        _("%(student)s: %(reason)s") % c,
    )


def _digest(c: dict[str, Any]) -> Text:
    return Text(
        _("Your daily summary (%(count)s updates)") % c,
        "\n".join(f"- {line}" for line in c["lines"]),
    )


_RENDERERS: dict[str, Callable[[dict[str, Any]], Text]] = {
    Kind.HOMEWORK_ASSIGNED: _homework,
    Kind.ABSENCE: _absence,
    Kind.GRADE_PUBLISHED: _grade,
    Kind.QUIZ_RESULT: _quiz,
    Kind.FEE_DUE: _fee,
    Kind.EARLY_WARNING: _warning,
    Kind.DIGEST: _digest,
}
