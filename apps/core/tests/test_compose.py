"""docker-compose.yml read as data: the invariants a deployment depends on (no Docker engine
is needed; docs/deploy.md explains each)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
SHARED_ENV = (
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_SECRET_KEY",
    "DATABASE_URL",
    "DATABASE_REPLICA_URLS",
    "REDIS_URL",
    "WRITE_BUFFER_REDIS_URL",
    "CELERY_BROKER_URL",
    "LOG_FORMAT",
    "TRUSTED_PROXY_COUNT",
)
ROLES = {"web", "http", "ws", "router", "worker", "beat", "migrate"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def app_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: service
        for name, service in compose["services"].items()
        if service.get("image") == "schools24:latest"
    }


def role(service: dict[str, Any]) -> str:
    command = service["command"]
    assert command[:2] == ["bash", "scripts/serve.sh"], command
    return command[2]


def redis_options(service: dict[str, Any]) -> dict[str, list[str]]:
    words = shlex.split(service["command"])
    assert words[0] == "redis-server"
    options: dict[str, list[str]] = {}
    for word in words[1:]:
        if word.startswith("--"):
            current = options.setdefault(word[2:], [])
        else:
            current.append(word)
    return options


def interpolated(value: str) -> str:
    """Compose's ``${VAR:-default}`` replaced by its default and any other ``${VAR...}`` by a
    plain word, so the value parses as a URL."""
    value = re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)
    return re.sub(r"\$\{[^}]*\}", "secret", value)


def service_of(url: str, compose: dict[str, Any]) -> str:
    host = urlsplit(interpolated(url)).hostname
    assert host is not None and host in compose["services"], f"{url} names no service"
    return host


def seconds(period: str) -> int:
    match = re.fullmatch(r"(\d+)s", period)
    assert match, period
    return int(match.group(1))


def test_every_role_runs_once_except_the_scalable_ones(compose) -> None:
    services = app_services(compose)
    roles = [role(service) for service in services.values()]
    assert sorted(roles) == sorted(["migrate", "http", "ws", "router", "worker", "beat"])
    assert set(roles) <= ROLES


def test_exactly_one_beat(compose) -> None:
    beats = [s for s in app_services(compose).values() if role(s) == "beat"]
    assert len(beats) == 1
    assert beats[0]["deploy"] == {"replicas": 1}  # a literal 1: not scalable by a variable


def test_the_scalable_roles_scale_by_a_variable(compose) -> None:
    services = app_services(compose)
    for name in ("http", "ws", "worker"):
        assert re.fullmatch(r"\$\{[A-Z_]+_REPLICAS:-\d+\}", services[name]["deploy"]["replicas"])
    assert "deploy" not in services["router"]  # it owns the host port: one per machine


def test_every_app_service_gets_the_same_addresses_and_settings(compose) -> None:
    services = app_services(compose)
    reference = compose["x-app-env"]
    for name, service in services.items():
        env = service["environment"]
        for key in SHARED_ENV:
            assert env.get(key) == reference[key], f"{name}: {key}"
    assert reference["DJANGO_SETTINGS_MODULE"] == "schools24.settings.production"
    assert reference["LOG_FORMAT"] == "json"


def test_addresses_name_the_right_servers(compose) -> None:
    env = compose["x-app-env"]
    assert service_of(env["DATABASE_URL"], compose) == "postgres"
    replicas = env["DATABASE_REPLICA_URLS"].split(",")
    assert [service_of(url, compose) for url in replicas] == ["postgres-replica"]
    # The same database, as the same user.
    replica, primary = (
        urlsplit(interpolated(replicas[0])),
        urlsplit(interpolated(env["DATABASE_URL"])),
    )
    assert (replica.path, replica.username) == (primary.path, primary.username)
    assert service_of(env["WRITE_BUFFER_REDIS_URL"], compose) == "redis-buffer"
    assert service_of(env["CELERY_BROKER_URL"], compose) == "redis-broker"
    assert service_of(env["REDIS_URL"], compose) == "redis-cache"


def test_the_buffer_and_the_broker_persist_and_never_evict(compose) -> None:
    for name in ("redis-buffer", "redis-broker"):
        options = redis_options(compose["services"][name])
        assert options["appendonly"] == ["yes"], name
        assert options["appendfsync"][0] in ("everysec", "always"), name
        assert options["maxmemory-policy"] == ["noeviction"], name
        assert any(volume.endswith(":/data") for volume in compose["services"][name]["volumes"])
    # The cache may evict and keeps nothing.
    cache = redis_options(compose["services"]["redis-cache"])
    assert cache["maxmemory-policy"] == ["allkeys-lru"]


def test_the_replica_is_a_standby_of_the_primary(compose) -> None:
    primary = compose["services"]["postgres"]
    replica = compose["services"]["postgres-replica"]
    assert replica["environment"]["PRIMARY_HOST"] == "postgres"
    assert replica["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert "pg_is_in_recovery()" in " ".join(replica["healthcheck"]["test"])
    for key in ("REPLICATION_USER", "REPLICATION_PASSWORD", "REPLICATION_SLOT"):
        assert replica["environment"][key] == primary["environment"][key]
    assert any("primary-init.sh" in volume for volume in primary["volumes"])
    entrypoint = (ROOT / "deploy/postgres/replica-entrypoint.sh").read_text()
    assert "pg_basebackup" in entrypoint and " -R " in entrypoint
    # A standby refuses to start with fewer connections than its primary.
    assert "${POSTGRES_MAX_CONNECTIONS:-200}" in primary["command"]
    assert replica["environment"]["POSTGRES_MAX_CONNECTIONS"] == "${POSTGRES_MAX_CONNECTIONS:-200}"


def test_only_migrate_migrates_and_the_app_waits_for_it(compose) -> None:
    for name, service in app_services(compose).items():
        if role(service) in ("http", "ws", "worker", "beat"):
            assert service["depends_on"]["migrate"] == {
                "condition": "service_completed_successfully"
            }, name
    assert app_services(compose)["migrate"]["restart"] == "no"


def test_healthchecks_and_stop_periods(compose) -> None:
    grace = int(compose["x-app-env"]["SHUTDOWN_GRACE_SECONDS"])
    data = ("postgres", "postgres-replica", "redis-buffer", "redis-broker", "redis-cache")
    for name in data:
        assert "healthcheck" in compose["services"][name], name
    for name, service in app_services(compose).items():
        if name != "migrate":
            assert "healthcheck" in service, name
    for name, service in app_services(compose).items():
        assert service["init"] is True, name
        if role(service) in ("http", "ws", "router"):
            # The web roles stop by themselves before Docker's SIGKILL.
            assert seconds(service["stop_grace_period"]) > grace, name
    worker = app_services(compose)["worker"]
    assert seconds(worker["stop_grace_period"]) >= 60  # a sync run finishes in its warm shutdown


def test_the_cluster_profile_is_three_masters_with_a_replica_each(compose) -> None:
    services = compose["services"]
    nodes = sorted(name for name in services if re.fullmatch(r"redis-buffer-\d", name))
    assert nodes == [f"redis-buffer-{n}" for n in range(1, 7)]
    for name in nodes:
        node = services[name]
        options = redis_options(node)
        assert node["profiles"] == ["cluster"], name
        assert options["cluster-enabled"] == ["yes"], name
        assert options["cluster-announce-hostname"] == [name], name
        assert node["hostname"] == name
        assert options["appendonly"] == ["yes"], name
        assert options["maxmemory-policy"] == ["noeviction"], name
        assert node["volumes"] == [f"{name}:/data"]
    init = services["redis-buffer-cluster"]
    assert init["profiles"] == ["cluster"]
    assert sorted(init["depends_on"]) == nodes
    script = init["command"][0]
    assert "--cluster-replicas 1" in script and "for n in 1 2 3 4 5 6" in script
    # The app starts only once the cluster is formed, and only waits for it under the profile.
    assert compose["x-app"]["depends_on"]["redis-buffer-cluster"] == {
        "condition": "service_completed_successfully",
        "required": False,
    }
    # The cluster URL the file documents names three of these nodes.
    text = (ROOT / "docker-compose.yml").read_text()
    url = re.search(r"WRITE_BUFFER_REDIS_URL=(redis\+cluster://\S+)", text)
    assert url is not None
    hosts = [
        address.split(":")[0]
        for address in url.group(1)[len("redis+cluster://") :].rstrip("/").split(",")
    ]
    assert hosts == ["redis-buffer-1", "redis-buffer-2", "redis-buffer-3"]
