"""Prometheus scrapes each http container by its address (DNS discovery), so the Host it sends is
that address: the real ``scripts/serve.sh http`` accepts its own addresses as hosts only when
``ALLOWED_HOSTS_ADD_OWN_ADDRESSES`` says so, and nothing else changes."""

from __future__ import annotations

import http.client
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from apps.writebuffer.tests.conftest import free_port, stop_process, subprocess_env, wait_for

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def own_ipv4_address() -> str:
    listed = subprocess.run(["hostname", "-I"], capture_output=True, text=True, check=True)
    addresses = [a for a in listed.stdout.split() if a.count(".") == 3]
    assert addresses, "this machine has no IPv4 address besides loopback ('hostname -I')"
    return addresses[0]


def livez_status(port: int, host: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/livez/", headers={"Host": host})
        return connection.getresponse().status
    finally:
        connection.close()


def start_http(tmp_path: Path, port: int, **env: str) -> subprocess.Popen:
    log = tmp_path / f"http-{port}.log"
    process = subprocess.Popen(
        ["bash", "scripts/serve.sh", "http"],
        cwd=settings.BASE_DIR,
        env=subprocess_env(
            DJANGO_SETTINGS_MODULE="schools24.settings.production",
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
            DJANGO_ALLOWED_HOSTS="school.example.org",
            HTTP_BIND=f"127.0.0.1:{port}",
            WEB_CONCURRENCY="1",
            RUN_DIR=str(tmp_path / f"run-{port}"),
            VIRTUAL_ENV=str(Path(sys.executable).parent.parent),
            **env,
        ),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

    def answers() -> bool:
        assert process.poll() is None, log.read_text()
        try:
            return livez_status(port, "school.example.org") == 200
        except OSError:
            return False

    wait_for(answers, timeout=60, what="gunicorn to answer")
    return process


@pytest.mark.parametrize(("flag", "by_address"), [("true", 200), ("false", 400)])
def test_the_http_role_accepts_its_own_address_as_host_only_when_asked(tmp_path, flag, by_address):
    address, port = own_ipv4_address(), free_port()
    process = start_http(tmp_path, port, ALLOWED_HOSTS_ADD_OWN_ADDRESSES=flag)
    try:
        assert livez_status(port, f"{address}:8001") == by_address
        # The configured host still answers, and any other host is still refused.
        assert livez_status(port, "school.example.org") == 200
        assert livez_status(port, "attacker.example.com") == 400
    finally:
        stop_process(process)
