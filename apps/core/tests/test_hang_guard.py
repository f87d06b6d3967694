"""A test that hangs fails after its timeout, and the run still ends (tests/hang_guard.py).

The hang is the one met in CI: an event loop of ``async_to_sync`` waiting for ever for a task
that swallows its cancellation.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

HANGING = """
import asyncio
from asgiref.sync import async_to_sync

async def stubborn():
    while True:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            pass

async def start_stubborn():
    asyncio.get_running_loop().create_task(stubborn())

def test_hangs():
    async_to_sync(start_stubborn)()

def test_after_it():
    pass
"""


@pytest.mark.slow
def test_a_hanging_test_fails_with_its_stack_and_the_run_ends(tmp_path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_hanging.py").write_text(HANGING)
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "apps.core.tests.hang_guard",
            "--timeout=2",
            "-c",
            str(tmp_path / "pytest.ini"),
            "--rootdir",
            str(tmp_path),
            "-p",
            "no:cacheprovider",
            str(tmp_path / "test_hanging.py"),
        ],
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Failed: Timeout (>2.0s) from pytest-timeout." in result.stdout
    assert "in _cancel_all_tasks" in result.stdout  # the stack of the stuck event loop's thread
    assert "1 failed, 1 passed" in result.stdout
