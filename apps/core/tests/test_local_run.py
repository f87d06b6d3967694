"""``make run``'s own path on its embedded SQLite default, from plain shells.

``make run`` writes the addresses it uses to ``var/run.env``; every other ``manage.py`` command
reads them (``schools24/settings/local.py``). Here the commands run as a developer's second
terminal would, with no address in the environment: migrate, seed the demo, make a buffered
write, see it pending with ``writebuffer status``, flush it, and find exactly those rows in the
SQLite file. ``SCHOOLS24_RUN_FILE`` points at this test's file instead of the checkout's.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from apps.benchmarks.redis_server import private_redis

pytestmark = pytest.mark.slow

ADDRESS_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "WRITE_BUFFER_REDIS_URL",
    "CELERY_BROKER_URL",
    "DJANGO_SETTINGS_MODULE",
    "SCHOOLS24_TEST_RUN",
    "WRITE_BUFFER_KEY_PREFIX",
)

# A buffered write as a teacher makes it: re-mark the demo class 10-A's latest register (the
# demo seeded it) with everyone absent.
REMARK = """
from apps.attendance.models import Register
from apps.attendance.services import MarkInput, register_mark
from apps.users.models import Enrolment, User
register = Register.objects.filter(school_class__grade=10, school_class__section="A").latest("date")
enrolled = Enrolment.objects.filter(school_class=register.school_class)
marks = [MarkInput(student_id=e.student_id, code="absent", note="smoke") for e in enrolled]
teacher = User.objects.get(username="teacher1")
result = register_mark(register=register, marks=marks, marked_by=teacher)
print("REMARKED", register.pk, result.changed)
"""


def manage(*args: str, env: dict[str, str], cwd: Path) -> str:
    completed = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, f"manage.py {' '.join(args)}:\n{completed.stderr}"
    return completed.stdout


def test_commands_find_make_runs_servers_and_a_sqlite_flush_counts_what_it_stored(tmp_path):
    repo = Path(settings.BASE_DIR)
    database = tmp_path / "db.sqlite3"
    with private_redis() as redis_url:
        base = redis_url.rsplit("/", 1)[0]
        run_file = tmp_path / "run.env"
        run_file.write_text(
            f"REDIS_URL={base}/0\nWRITE_BUFFER_REDIS_URL={base}/1\n"
            f"CELERY_BROKER_URL={base}/2\nDATABASE_URL=sqlite:///{database}\n"
        )
        env = {k: v for k, v in os.environ.items() if k not in ADDRESS_VARIABLES}
        env["SCHOOLS24_RUN_FILE"] = str(run_file)

        manage("migrate", "--noinput", "-v", "0", env=env, cwd=repo)
        manage("seed_demo", "--if-empty", "--students", "8", "-v", "0", env=env, cwd=repo)
        output = manage("shell", "-c", REMARK, env=env, cwd=repo)
        _, register_id, changed = output.strip().splitlines()[-1].split()
        assert int(changed) == 2  # the demo puts students 1, 5 in 10-A

        status = json.loads(manage("writebuffer", "status", "--json", env=env, cwd=repo))
        pending = {m["model"]: m["pending"] for m in status["models"] if m["pending"]}
        # Each changed mark is one mark row and one change-log row.
        assert pending == {"attendance.attendancemark": 2, "attendance.attendancemarkchange": 2}

        output = manage("writebuffer", "flush", env=env, cwd=repo)
        assert "Flushing 4 pending records of 2 models..." in output
        assert re.search(r"Done: 4 records synced; nothing pending\.", output), output

        status = json.loads(manage("writebuffer", "status", "--json", env=env, cwd=repo))
        assert sum(m["pending"] for m in status["models"]) == 0
        last = status["last_sync"]
        assert (last["status"], last["records_synced"], last["records_failed"]) == ("ok", 4, 0)

    with sqlite3.connect(database) as db:
        register_hex = register_id.replace("-", "")
        marks = db.execute(
            "SELECT code, note FROM attendance_attendancemark WHERE register_id = ?",
            [register_hex],
        ).fetchall()
        changes = db.execute(
            "SELECT COUNT(*) FROM attendance_attendancemarkchange "
            "WHERE register_id = ? AND note = 'smoke'",
            [register_hex],
        ).fetchone()[0]
    assert marks == [("absent", "smoke"), ("absent", "smoke")]
    assert changes == 2
