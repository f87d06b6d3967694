"""The quiz storm runs end to end with a handful of students: real web server and Celery worker
processes, real HTTP, both write policies. No timing is asserted (the numbers go in the README);
the rows, the leaderboard and the absence of errors are."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from apps.quizzes.models import Answer, Attempt, Quiz
from apps.users.models import School

CONTRACT_KEYS = {
    "students", "requests", "errors", "attempts_in_db", "answers_in_db", "leaderboard_exact",
    "rps_buffered", "rps_direct", "p99_ms_answer",
}  # fmt: skip


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_bench_quiz_storm_prints_the_contracts_numbers_with_exact_rows():
    out, err = StringIO(), StringIO()
    call_command(
        "bench_quiz_storm", students=6, arrival_seconds=1, connections=3, json=True,
        stdout=out, stderr=err,
    )  # fmt: skip
    result = json.loads(out.getvalue().strip().splitlines()[-1])
    assert result.keys() >= CONTRACT_KEYS
    assert (result["students"], result["errors"]) == (6, 0)
    assert (result["attempts_in_db"], result["answers_in_db"]) == (6, 60)
    assert result["leaderboard_exact"] is True
    for mode in ("buffered", "direct"):
        check = result[mode]["check"]
        assert (check["attempts_finished"], check["answers_in_db"], check["leaderboard_size"]) == (
            6, 60, 6,
        )  # fmt: skip
        kinds = result[mode]["latency_ms"]
        assert (kinds["start"]["n"], kinds["answer"]["n"], kinds["submit"]["n"]) == (6, 60, 6)
        # Every request was counted: starts, answers, resends and submits.
        assert result[mode]["requests"] == 6 + 60 + kinds["resend"]["n"] + 6
    assert result["requests"] == result["buffered"]["requests"]
    # The storm's school is gone afterwards.
    assert not School.objects.exists() and not Quiz.objects.exists()
    assert not Attempt.objects.exists() and not Answer.objects.exists()
