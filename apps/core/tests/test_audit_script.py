"""scripts/audit.sh (CI's audit step) tells a finding from an unreachable service. pip-audit is
replaced by a script printing what pip-audit prints in each case: the real service cannot be
reached from the machines these tests run on."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

FINDING = """Name   Version ID                  Fix Versions
------ ------- ------------------- ------------
django 5.2.0   PYSEC-2025-1        5.2.1
Found 1 known vulnerability in 1 package"""
UNREACHABLE = (
    "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='pypi.invalid', port=443): "
    "Max retries exceeded with url: /pypi/django/5.2.19/json"
)
MIRROR = "ERROR:pip_audit._cli:Django: Dependency not found on PyPI and could not be audited"


def run_with(tmp_path: Path, output: str, status: int) -> subprocess.CompletedProcess[str]:
    stub = tmp_path / "pip-audit"
    (tmp_path / "output.txt").write_text(output + "\n")
    stub.write_text(f"#!/bin/sh\ncat '{tmp_path}/output.txt'\nexit {status}\n")
    stub.chmod(0o755)
    return subprocess.run(
        ["bash", "scripts/audit.sh"],
        cwd=ROOT,
        env={"PIP_AUDIT": str(stub), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_a_finding_fails(tmp_path) -> None:
    result = run_with(tmp_path, FINDING, 1)
    assert result.returncode == 1
    assert "PYSEC-2025-1" in result.stdout
    assert "AUDIT NOT RUN" not in result.stdout


@pytest.mark.parametrize("output", [UNREACHABLE, MIRROR])
def test_an_unreachable_service_says_so_and_passes(tmp_path, output) -> None:
    result = run_with(tmp_path, output, 1)
    assert result.returncode == 0
    assert "AUDIT NOT RUN" in result.stdout


def test_a_clean_audit_passes(tmp_path) -> None:
    result = run_with(tmp_path, "No known vulnerabilities found", 0)
    assert (result.returncode, "AUDIT NOT RUN" in result.stdout) == (0, False)


def test_any_other_failure_fails(tmp_path) -> None:
    result = run_with(tmp_path, "pip-audit: error: unrecognized arguments", 2)
    assert result.returncode == 1
