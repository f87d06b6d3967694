"""The API against its own OpenAPI schema, fuzzed over real HTTP for every role.

Schemathesis reads ``/api/schema/`` from a running server and sends generated requests (valid
and invalid) to every operation in it, whatever apps define them, as an anonymous caller and as
a school admin, a teacher, a student and a guardian. No answer may be a 5xx, and every answer's
status code and body must be ones the schema documents. The run is bounded in time per role.

The roles run side by side; slow (about a minute and a half): ``pytest -m "not slow"``
skips it locally; CI runs it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from apps.homework.tests.conftest import make_homework
from apps.users.tests.factories import ClassWorld
from apps.users.tokens import access_token_for

ROLES = ["anonymous", "school_admin", "teacher", "student", "guardian"]
SECONDS_PER_ROLE = int(os.environ.get("SCHEMATHESIS_SECONDS_PER_ROLE", "40"))
EXAMPLES_PER_OPERATION = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "10"))
CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance"

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people():
    world = ClassWorld(students=2)
    make_homework(world)
    return {
        "anonymous": None,
        "school_admin": world.admin,
        "teacher": world.teacher,
        "student": world.student,
        "guardian": world.guardian,
    }


def schemathesis_command(base_url: str, schema: Path, user, report_dir: Path) -> list[str]:
    command = [
        str(Path(sys.executable).with_name("st")),
        "run",
        str(schema),
        "--url",
        base_url,
        "--checks",
        CHECKS,
        # The coverage phase is left out: in this release it crashes on some schemas inside
        # Hypothesis (a lambda description); fuzzing covers valid and invalid inputs.
        "--phases",
        "examples,fuzzing",
        "--max-examples",
        str(EXAMPLES_PER_OPERATION),
        "--max-time",
        str(SECONDS_PER_ROLE),
        "--workers",
        "1",
        "--seed",
        "24",
        "--suppress-health-check",
        "all",
        "--request-timeout",
        "30",
        "--no-color",
        "--report-dir",
        str(report_dir),
    ]
    if user is not None:
        command += ["--header", f"Authorization: Bearer {access_token_for(user)}"]
    return command


def summary_of(output: str) -> str:
    return output[output.find("SUMMARY") :] if "SUMMARY" in output else output[-3000:]


def test_no_server_error_and_every_answer_as_documented(people, live_server, tmp_path):
    # The schema as the server serves it, fetched once (generating it is not thread-safe).
    with urllib.request.urlopen(f"{live_server.url}/api/schema/?format=json") as response:  # noqa: S310
        schema = tmp_path / "schema.json"
        schema.write_bytes(response.read())
    # The roles run side by side against one server, so the whole test takes about one budget.
    runs = {
        role: subprocess.Popen(  # noqa: S603 (our own command line)
            schemathesis_command(live_server.url, schema, people[role], tmp_path / role),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for role in ROLES
    }
    outputs = {
        role: run.communicate(timeout=SECONDS_PER_ROLE * 6 + 120)[0] for role, run in runs.items()
    }

    for role in ROLES:
        print(f"\n== schemathesis as {role}\n{summary_of(outputs[role])}")
    failed = {
        role: outputs[role][-15000:]
        for role in ROLES
        if runs[role].returncode != 0 or not re.search(r"(\d+) generated, \1 passed", outputs[role])
    }
    assert not failed, "\n\n".join(f"== {role}\n{output}" for role, output in failed.items())
