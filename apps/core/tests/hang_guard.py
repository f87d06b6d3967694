"""pytest plugin (loaded by the root conftest.py): a run with a timed-out test still ends.

pytest-timeout fails a test that runs past ``timeout`` (pyproject.toml) and the run goes on. But
the test that hung can leave a thread behind that never ends, for example the thread of an
``async_to_sync`` event loop waiting for a task that does not take its cancellation, and Python
waits for such threads when it exits: the run would hang after printing its summary, until CI
gives up. After a timeout, the run ends at once when everything is reported.
"""

from __future__ import annotations

import os
import sys

import pytest

_timed_out: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.failed and "Timeout (>" in str(report.longrepr):  # pytest-timeout's failure
        _timed_out.append(report.nodeid)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    if _timed_out:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(1)
