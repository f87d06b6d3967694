"""Grading and validation per question type, as tables: each row is a body, an answer and the
exact fraction of the points it earns (or the field an invalid one is refused on)."""

from decimal import Decimal

import pytest

from apps.quizzes.models import QuestionType
from apps.quizzes.question_types import body_errors, grade, public_body, response_errors
from apps.quizzes.tests.factories import BODIES

SINGLE, MULTIPLE, TRUE_FALSE = (
    QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE, QuestionType.TRUE_FALSE
)  # fmt: skip
NUMERIC, SHORT_TEXT, MATCHING = QuestionType.NUMERIC, QuestionType.SHORT_TEXT, QuestionType.MATCHING
NEGATIVE = {**BODIES[MULTIPLE], "negative_marking": True}
UNIT_REQUIRED = {**BODIES[NUMERIC], "unit_required": True}
CASE_SENSITIVE = {**BODIES[SHORT_TEXT], "case_sensitive": True}
KEEP_SPACES = {**BODIES[SHORT_TEXT], "accepted": ["New  York"], "ignore_whitespace": False}
SPACES = {**BODIES[SHORT_TEXT], "accepted": ["New York"]}

GRADES = [
    # single choice
    (SINGLE, BODIES[SINGLE], {"choice": "b"}, "1"),
    (SINGLE, BODIES[SINGLE], {"choice": "a"}, "0"),
    (SINGLE, BODIES[SINGLE], {"choice": None}, "0"),  # empty answer
    (SINGLE, BODIES[SINGLE], None, "0"),  # never answered
    # multiple choice: partial credit, wrong choices cancel right ones
    (MULTIPLE, BODIES[MULTIPLE], {"choices": ["a", "b"]}, "1"),
    (MULTIPLE, BODIES[MULTIPLE], {"choices": ["a"]}, "0.5"),
    (MULTIPLE, BODIES[MULTIPLE], {"choices": ["a", "c"]}, "0"),
    (MULTIPLE, BODIES[MULTIPLE], {"choices": ["a", "b", "c"]}, "0.5"),
    (MULTIPLE, BODIES[MULTIPLE], {"choices": ["a", "b", "c", "d"]}, "0"),
    (MULTIPLE, BODIES[MULTIPLE], {"choices": ["c", "d"]}, "0"),  # no negative marking: floor 0
    (MULTIPLE, BODIES[MULTIPLE], {"choices": []}, "0"),  # empty answer
    (MULTIPLE, NEGATIVE, {"choices": ["c"]}, "-0.5"),
    (MULTIPLE, NEGATIVE, {"choices": ["c", "d"]}, "-1"),
    (MULTIPLE, NEGATIVE, {"choices": ["a", "c", "d"]}, "-0.5"),
    (MULTIPLE, NEGATIVE, {"choices": ["a"]}, "0.5"),
    # true / false
    (TRUE_FALSE, BODIES[TRUE_FALSE], {"value": True}, "1"),
    (TRUE_FALSE, BODIES[TRUE_FALSE], {"value": False}, "0"),
    (TRUE_FALSE, {**BODIES[TRUE_FALSE], "correct": False}, {"value": False}, "1"),
    (TRUE_FALSE, {**BODIES[TRUE_FALSE], "correct": False}, {"value": None}, "0"),  # empty
    # numeric: 9.81 +- 0.05, unit m/s2 optional
    (NUMERIC, BODIES[NUMERIC], {"value": 9.81}, "1"),
    (NUMERIC, BODIES[NUMERIC], {"value": 9.76}, "1"),  # exactly at the tolerance
    (NUMERIC, BODIES[NUMERIC], {"value": 9.86}, "1"),
    (NUMERIC, BODIES[NUMERIC], {"value": 9.75}, "0"),  # out of tolerance
    (NUMERIC, BODIES[NUMERIC], {"value": 9.87}, "0"),
    (NUMERIC, BODIES[NUMERIC], {"value": 10}, "0"),
    (NUMERIC, BODIES[NUMERIC], {"value": None}, "0"),  # empty
    (NUMERIC, BODIES[NUMERIC], {"value": 9.8, "unit": "m/s2"}, "1"),
    (NUMERIC, BODIES[NUMERIC], {"value": 9.8, "unit": " m/s2 "}, "1"),
    (NUMERIC, BODIES[NUMERIC], {"value": 9.8, "unit": "km/h"}, "0"),  # a unit not accepted
    (NUMERIC, UNIT_REQUIRED, {"value": 9.8}, "0"),
    (NUMERIC, UNIT_REQUIRED, {"value": 9.8, "unit": "m/s2"}, "1"),
    # short text: case and whitespace rules
    (SHORT_TEXT, BODIES[SHORT_TEXT], {"text": "Paris"}, "1"),
    (SHORT_TEXT, BODIES[SHORT_TEXT], {"text": "  pARIS \t"}, "1"),  # extra whitespace, case
    (SHORT_TEXT, BODIES[SHORT_TEXT], {"text": "Pari s"}, "0"),
    (SHORT_TEXT, BODIES[SHORT_TEXT], {"text": ""}, "0"),  # empty
    (SHORT_TEXT, BODIES[SHORT_TEXT], {"text": "   "}, "0"),
    (SHORT_TEXT, SPACES, {"text": " new    york "}, "1"),
    (SHORT_TEXT, CASE_SENSITIVE, {"text": "paris"}, "0"),
    (SHORT_TEXT, CASE_SENSITIVE, {"text": " Paris "}, "1"),
    (SHORT_TEXT, KEEP_SPACES, {"text": "New  York"}, "1"),
    (SHORT_TEXT, KEEP_SPACES, {"text": "New York"}, "0"),
    (SHORT_TEXT, KEEP_SPACES, {"text": "new  york"}, "1"),
    # matching: a share per right pair
    (MATCHING, BODIES[MATCHING], {"matches": {"fr": "p", "de": "b"}}, "1"),
    (MATCHING, BODIES[MATCHING], {"matches": {"fr": "p", "de": "r"}}, "0.5"),
    (MATCHING, BODIES[MATCHING], {"matches": {"fr": "p"}}, "0.5"),
    (MATCHING, BODIES[MATCHING], {"matches": {"fr": "b", "de": "p"}}, "0"),
    (MATCHING, BODIES[MATCHING], {"matches": {}}, "0"),  # empty
]


@pytest.mark.parametrize(("question_type", "body", "response", "fraction"), GRADES)
def test_grade(question_type, body, response, fraction):
    assert body_errors(question_type, body) == {}
    if response is not None:
        assert response_errors(question_type, body, response) == {}
    assert grade(question_type, body, response) == Decimal(fraction)


INVALID_ANSWERS = [
    (SINGLE, {"choice": "z"}, "response.choice"),
    (SINGLE, {"choices": ["a"]}, "response.choice"),
    (SINGLE, "b", "response"),
    (MULTIPLE, {"choices": "a"}, "response.choices"),
    (MULTIPLE, {"choices": ["a", "a"]}, "response.choices"),
    (MULTIPLE, {"choices": ["x"]}, "response.choices"),
    (TRUE_FALSE, {"value": "yes"}, "response.value"),
    (TRUE_FALSE, {"value": 1}, "response.value"),
    (NUMERIC, {"value": "9.8"}, "response.value"),
    (NUMERIC, {"value": True}, "response.value"),
    (NUMERIC, {"unit": "m"}, "response"),
    (NUMERIC, {"value": 1, "unit": 5}, "response.unit"),
    (SHORT_TEXT, {"text": 5}, "response.text"),
    (SHORT_TEXT, {"text": "x" * 1001}, "response.text"),
    (MATCHING, {"matches": {"xx": "p"}}, "response.matches"),
    (MATCHING, {"matches": {"fr": "zz"}}, "response.matches"),
    (MATCHING, {"matches": [["fr", "p"]]}, "response.matches"),
]


@pytest.mark.parametrize(("question_type", "response", "field"), INVALID_ANSWERS)
def test_an_answer_of_the_wrong_shape_is_refused_on_its_field(question_type, response, field):
    assert list(response_errors(question_type, BODIES[question_type], response)) == [field]


INVALID_BODIES = [
    (SINGLE, {**BODIES[SINGLE], "correct": "z"}, ["body.correct"]),
    (SINGLE, {**BODIES[SINGLE], "options": [{"id": "a", "text": "x"}]}, ["body.options"]),
    (SINGLE, {**BODIES[SINGLE], "options": [{"id": "a", "text": "x"}, {"id": "a", "text": "y"}]},
     ["body.options"]),
    (SINGLE, {**BODIES[SINGLE], "prompt": " "}, ["body.prompt"]),
    (MULTIPLE, {**BODIES[MULTIPLE], "correct": []}, ["body.correct"]),
    (MULTIPLE, {**BODIES[MULTIPLE], "negative_marking": "yes"}, ["body.negative_marking"]),
    (TRUE_FALSE, {"prompt": "?", "correct": "true"}, ["body.correct"]),
    (NUMERIC, {**BODIES[NUMERIC], "answer": "9.81"}, ["body.answer"]),
    (NUMERIC, {**BODIES[NUMERIC], "tolerance": -1}, ["body.tolerance"]),
    (NUMERIC, {"prompt": "?", "answer": 1, "unit_required": True}, ["body.unit_required"]),
    (SHORT_TEXT, {**BODIES[SHORT_TEXT], "accepted": []}, ["body.accepted"]),
    (MATCHING, {**BODIES[MATCHING], "correct": {"fr": "p"}}, ["body.correct"]),
    (MATCHING, {**BODIES[MATCHING], "correct": {"fr": "p", "de": "zz"}}, ["body.correct"]),
    ("essay", {"prompt": "?"}, ["type"]),
]  # fmt: skip


@pytest.mark.parametrize(("question_type", "body", "fields"), INVALID_BODIES)
def test_a_malformed_body_names_its_field(question_type, body, fields):
    assert list(body_errors(question_type, body)) == fields


def test_what_a_student_sees_has_no_answer_key_and_keeps_the_attempts_order():
    shown = public_body(BODIES[SINGLE], option_order={"options": ["c", "a", "b"]})
    assert shown == {
        "prompt": "2 + 2 = ?",
        "options": [{"id": "c", "text": "5"}, {"id": "a", "text": "3"}, {"id": "b", "text": "4"}],
    }
    assert public_body(BODIES[NUMERIC]) == {
        "prompt": "g in m/s2?", "units": ["m/s2"], "unit_required": False,
    }  # fmt: skip
    assert "correct" not in public_body(BODIES[MATCHING])
