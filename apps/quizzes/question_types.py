"""What each question type's body and answers look like, how an answer is graded, and what a
student may see of a question before review.

Bodies (``QuestionVersion.body``), by type (every body has a ``prompt`` and may have
``feedback``):

- ``single_choice``: ``options`` [{id, text}], ``correct`` (an option id)
- ``multiple_choice``: ``options``, ``correct`` [option ids], ``negative_marking`` (bool)
- ``true_false``: ``correct`` (bool)
- ``numeric``: ``answer`` (number), ``tolerance`` (>= 0), ``units`` [str] (optional; when given,
  an answer may name one of them), ``unit_required`` (bool)
- ``short_text``: ``accepted`` [str], ``case_sensitive`` (bool), ``ignore_whitespace`` (bool,
  default true: leading, trailing and repeated inner spaces do not count)
- ``matching``: ``items`` [{id, text}], ``choices`` [{id, text}], ``correct`` {item id: choice id}

Answers (``Answer.response``): ``{"choice": id}``, ``{"choices": [ids]}``, ``{"value": bool}``,
``{"value": number, "unit": str}``, ``{"text": str}``, ``{"matches": {item id: choice id}}``.
An empty answer (no choice, empty text, no matches) is valid and scores nothing.

Grades are fractions of the question's points: 0..1, and down to -1 for a multiple-choice
question with negative marking.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from apps.quizzes.models import QuestionType

Errors = dict[str, list[str]]
FOUR_PLACES = Decimal("0.0001")


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _options(body: dict, key: str, errors: Errors, *, minimum: int = 2) -> set[str]:
    options = body.get(key)
    if not isinstance(options, list) or len(options) < minimum:
        errors[key] = [f"A list of at least {minimum} entries of {{id, text}}."]
        return set()
    ids = []
    for option in options:
        if not (isinstance(option, dict) and _text(option.get("id")) and _text(option.get("text"))):
            errors[key] = ["Every entry needs a non-empty id and text."]
            return set()
        ids.append(option["id"])
    if len(set(ids)) != len(ids):
        errors[key] = ["Ids must be unique."]
        return set()
    return set(ids)


# --- bodies ---------------------------------------------------------------------------------
def _check_single(body: dict, errors: Errors) -> None:
    ids = _options(body, "options", errors)
    if ids and body.get("correct") not in ids:
        errors["correct"] = ["Must be the id of one of the options."]


def _check_multiple(body: dict, errors: Errors) -> None:
    ids = _options(body, "options", errors)
    correct = body.get("correct")
    if ids and (
        not isinstance(correct, list)
        or not correct
        or not all(isinstance(c, str) and c in ids for c in correct)
        or len(set(correct)) != len(correct)
    ):
        errors["correct"] = ["A non-empty list of distinct option ids."]
    if not isinstance(body.get("negative_marking", False), bool):
        errors["negative_marking"] = ["Must be true or false."]


def _check_true_false(body: dict, errors: Errors) -> None:
    if not isinstance(body.get("correct"), bool):
        errors["correct"] = ["Must be true or false."]


def _check_numeric(body: dict, errors: Errors) -> None:
    if not _is_number(body.get("answer")):
        errors["answer"] = ["Must be a number."]
    tolerance = body.get("tolerance", 0)
    if not _is_number(tolerance) or tolerance < 0:
        errors["tolerance"] = ["Must be a number of at least 0."]
    units = body.get("units", [])
    if not isinstance(units, list) or not all(_text(unit) for unit in units):
        errors["units"] = ["A list of unit names."]
    unit_required = body.get("unit_required", False)
    if not isinstance(unit_required, bool):
        errors["unit_required"] = ["Must be true or false."]
    elif unit_required and not units:
        errors["unit_required"] = ["Name the accepted units to require one."]


def _check_short_text(body: dict, errors: Errors) -> None:
    accepted = body.get("accepted")
    if not isinstance(accepted, list) or not accepted or not all(_text(a) for a in accepted):
        errors["accepted"] = ["A non-empty list of accepted answers."]
    for flag in ("case_sensitive", "ignore_whitespace"):
        if not isinstance(body.get(flag, False), bool):
            errors[flag] = ["Must be true or false."]


def _check_matching(body: dict, errors: Errors) -> None:
    items = _options(body, "items", errors)
    choices = _options(body, "choices", errors)
    correct = body.get("correct")
    if (
        items
        and choices
        and (
            not isinstance(correct, dict)
            or set(correct) != items
            or not all(choice in choices for choice in correct.values())
        )
    ):
        errors["correct"] = ["An object mapping every item id to a choice id."]


BODY_CHECKS: dict[str, Callable[[dict, Errors], None]] = {
    QuestionType.SINGLE_CHOICE: _check_single,
    QuestionType.MULTIPLE_CHOICE: _check_multiple,
    QuestionType.TRUE_FALSE: _check_true_false,
    QuestionType.NUMERIC: _check_numeric,
    QuestionType.SHORT_TEXT: _check_short_text,
    QuestionType.MATCHING: _check_matching,
}


def body_errors(question_type: str, body: Any) -> Errors:
    """Problems with a question body, by field (``body.<field>``); empty when it is valid."""
    if question_type not in BODY_CHECKS:
        return {"type": [f"One of: {', '.join(BODY_CHECKS)}."]}
    if not isinstance(body, dict):
        return {"body": ["Must be an object."]}
    errors: Errors = {}
    if not _text(body.get("prompt")):
        errors["prompt"] = ["Required."]
    if "feedback" in body and not isinstance(body["feedback"], str):
        errors["feedback"] = ["Must be text."]
    BODY_CHECKS[question_type](body, errors)
    return {f"body.{field}": messages for field, messages in errors.items()}


# --- answers --------------------------------------------------------------------------------
def _ids(body: dict, key: str) -> set[str]:
    return {option["id"] for option in body[key]}


def response_errors(question_type: str, body: dict, response: Any) -> Errors:
    """Problems with an answer's shape for its question; empty when it is valid."""
    if not isinstance(response, dict):
        return {"response": ["Must be an object."]}
    if question_type == QuestionType.SINGLE_CHOICE:
        choice = response.get("choice")
        if set(response) != {"choice"} or (
            choice is not None and choice not in _ids(body, "options")
        ):
            return {"response.choice": ["The id of one of the options, or null."]}
    elif question_type == QuestionType.MULTIPLE_CHOICE:
        choices = response.get("choices")
        if (
            set(response) != {"choices"}
            or not isinstance(choices, list)
            or not all(isinstance(c, str) for c in choices)
            or not set(choices) <= _ids(body, "options")
            or len(set(choices)) != len(choices)
        ):
            return {"response.choices": ["A list of distinct option ids."]}
    elif question_type == QuestionType.TRUE_FALSE:
        if set(response) != {"value"} or not isinstance(response["value"], (bool, type(None))):
            return {"response.value": ["true, false or null."]}
    elif question_type == QuestionType.NUMERIC:
        value = response.get("value")
        if not set(response) <= {"value", "unit"} or "value" not in response:
            return {"response": ['{"value": number, "unit": optional text}.']}
        if value is not None and not _is_number(value):
            return {"response.value": ["A number, or null."]}
        if "unit" in response and not isinstance(response["unit"], (str, type(None))):
            return {"response.unit": ["Text, or null."]}
    elif question_type == QuestionType.SHORT_TEXT:
        text = response.get("text")
        if set(response) != {"text"} or not isinstance(text, str):
            return {"response.text": ["Text (may be empty)."]}
        if len(text) > 1000:
            return {"response.text": ["At most 1000 characters."]}
    elif question_type == QuestionType.MATCHING:
        matches = response.get("matches")
        if (
            set(response) != {"matches"}
            or not isinstance(matches, dict)
            or not set(matches) <= _ids(body, "items")
            or not all(choice in _ids(body, "choices") for choice in matches.values())
        ):
            return {"response.matches": ["An object mapping item ids to choice ids."]}
    return {}


# --- grading --------------------------------------------------------------------------------
def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _grade_single(body: dict, response: dict) -> Decimal:
    return Decimal(1) if response.get("choice") == body["correct"] else Decimal(0)


def _grade_multiple(body: dict, response: dict) -> Decimal:
    """Partial credit: each right choice earns 1/(number of right choices) and each wrong one
    takes as much away. Without negative marking the question bottoms out at 0; with it, down
    to -1 (guessing everything costs)."""
    chosen = set(response.get("choices") or [])
    correct = set(body["correct"])
    fraction = Decimal(len(chosen & correct) - len(chosen - correct)) / len(correct)
    floor = Decimal(-1) if body.get("negative_marking") else Decimal(0)
    return max(floor, min(Decimal(1), fraction))


def _grade_true_false(body: dict, response: dict) -> Decimal:
    value = response.get("value")
    return Decimal(1) if value is not None and value == body["correct"] else Decimal(0)


def _grade_numeric(body: dict, response: dict) -> Decimal:
    value = response.get("value")
    if value is None:
        return Decimal(0)
    units = body.get("units") or []
    unit = (response.get("unit") or "").strip()
    if unit and unit not in units:
        return Decimal(0)
    if not unit and body.get("unit_required"):
        return Decimal(0)
    # Decimal from the repr, so 0.1 + tolerance comparisons are exact as the teacher typed them.
    difference = abs(Decimal(repr(value)) - Decimal(repr(body["answer"])))
    return Decimal(1) if difference <= Decimal(repr(body.get("tolerance", 0))) else Decimal(0)


def _grade_short_text(body: dict, response: dict) -> Decimal:
    def normal(text: str) -> str:
        if body.get("ignore_whitespace", True):
            text = _squash(text)
        return text if body.get("case_sensitive") else text.casefold()

    given = response.get("text") or ""
    if not given.strip():
        return Decimal(0)
    return Decimal(1) if normal(given) in {normal(a) for a in body["accepted"]} else Decimal(0)


def _grade_matching(body: dict, response: dict) -> Decimal:
    matches = response.get("matches") or {}
    correct = body["correct"]
    right = sum(1 for item, choice in correct.items() if matches.get(item) == choice)
    return Decimal(right) / len(correct)


GRADERS: dict[str, Callable[[dict, dict], Decimal]] = {
    QuestionType.SINGLE_CHOICE: _grade_single,
    QuestionType.MULTIPLE_CHOICE: _grade_multiple,
    QuestionType.TRUE_FALSE: _grade_true_false,
    QuestionType.NUMERIC: _grade_numeric,
    QuestionType.SHORT_TEXT: _grade_short_text,
    QuestionType.MATCHING: _grade_matching,
}


def grade(question_type: str, body: dict, response: dict | None) -> Decimal:
    """The fraction of the points an answer earns (an unanswered question earns 0)."""
    if response is None:
        return Decimal(0)
    return GRADERS[question_type](body, response).quantize(FOUR_PLACES)


# --- what a student sees --------------------------------------------------------------------
ANSWER_KEYS = {"correct", "answer", "tolerance", "accepted", "feedback"}


def public_body(body: dict, *, option_order: dict[str, list[str]] | None = None) -> dict:
    """The question as shown during an attempt: no answer key, no feedback, options in the order
    this attempt shows them."""
    shown = {key: value for key, value in body.items() if key not in ANSWER_KEYS}
    for key, order in (option_order or {}).items():
        by_id = {option["id"]: option for option in shown[key]}
        shown[key] = [by_id[option_id] for option_id in order if option_id in by_id]
    return shown


def shuffled_keys(question_type: str) -> tuple[str, ...]:
    """Which lists of a body are shuffled when the quiz shuffles options."""
    if question_type in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE):
        return ("options",)
    if question_type == QuestionType.MATCHING:
        return ("choices",)
    return ()
