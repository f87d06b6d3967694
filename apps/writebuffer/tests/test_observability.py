"""The buffer seen from outside: /healthz/ judges its Redis, /metrics reports its depth."""

from __future__ import annotations

from decimal import Decimal

import pytest
from prometheus_client.parser import text_string_to_metric_families

from apps.writebuffer.services import buffered_save, buffered_save_many
from apps.writebuffer.sync import sync_all
from apps.writebuffer.tests.conftest import (
    LABEL,
    free_port,
    make_note,
    set_buffer_option,
    use_buffer_redis,
)

pytestmark = pytest.mark.django_db

AOF_OFF = "append-only file is off: a restart would lose buffered writes"


def health(client) -> tuple[int, dict]:
    response = client.get("/healthz/")
    return response.status_code, response.json()


def failing_checks(body: dict) -> list[str]:
    return sorted(name for name, check in body["checks"].items() if not check["ok"])


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def model(value: str = LABEL) -> tuple:
    return (("model", value),)


# --- /healthz/ ---------------------------------------------------------------------------------
def test_health_reports_a_buffer_redis_without_aof_as_unhealthy(client):
    # The shared development Redis runs without persistence, as a cache should.
    status, body = health(client)

    assert status == 503
    assert body["status"] == "unhealthy"
    assert failing_checks(body) == ["buffer_redis"]
    assert body["checks"]["buffer_redis"] == {"ok": False, "durable": False, "problems": [AOF_OFF]}


def test_health_accepts_a_buffer_redis_with_aof_and_noeviction(client, settings, redis_server):
    server = redis_server()
    use_buffer_redis(settings, server.url)

    status, body = health(client)

    assert status == 200
    assert body["status"] == "ok"
    assert failing_checks(body) == []
    assert body["checks"]["buffer_redis"] == {"ok": True, "durable": True, "problems": []}


def test_health_reports_an_evicting_buffer_redis(client, settings, redis_server):
    server = redis_server()
    server.client().config_set("maxmemory-policy", "allkeys-lru")
    use_buffer_redis(settings, server.url)

    status, body = health(client)

    assert status == 503
    assert failing_checks(body) == ["buffer_redis"]
    assert body["checks"]["buffer_redis"]["problems"] == [
        "maxmemory-policy is allkeys-lru: Redis may evict unsynced writes (use noeviction)"
    ]

    server.client().config_set("appendonly", "no")
    _status, body = health(client)
    assert len(body["checks"]["buffer_redis"]["problems"]) == 2
    assert body["checks"]["buffer_redis"]["problems"][0] == AOF_OFF


def test_health_reports_an_unreachable_buffer_redis(client, settings):
    use_buffer_redis(settings, f"redis://127.0.0.1:{free_port()}/0", SOCKET_CONNECT_TIMEOUT=0.5)

    status, body = health(client)

    assert status == 503
    assert failing_checks(body) == ["buffer_redis"]
    assert body["checks"]["buffer_redis"]["ok"] is False
    assert "Connection refused" in body["checks"]["buffer_redis"]["error"]


# --- /metrics ----------------------------------------------------------------------------------
def test_metrics_report_pending_records_and_sync_counters_of_the_model(client, settings):
    buffered_save_many([make_note(owner="alice", title=f"a{i}") for i in range(4)])
    buffered_save_many([make_note(owner="bob", title=f"b{i}") for i in range(2)])
    buffered_save(make_note(owner="carol", title="c"))
    buffered_save(make_note(owner="carol", title="poison", amount=Decimal("-1")))

    before = scrape(client)

    assert before[("schools24_writebuffer_up", ())] == 1.0
    assert before[("schools24_writebuffer_pending_records", model())] == 8.0
    assert before[("schools24_writebuffer_pending_bytes", model())] > 0
    assert before[("schools24_writebuffer_oldest_pending_age_seconds", model())] >= 0.0
    assert before[("schools24_writebuffer_dead_letters", model())] == 0.0
    assert 0 < before[("schools24_writebuffer_compression_ratio", model())] < 1.5
    assert before[("schools24_writebuffer_sync_runs_total", ())] == 0.0
    assert before[("schools24_writebuffer_records_synced_total", ())] == 0.0

    for _ in range(3):
        sync_all(trigger="test:metrics")
    after = scrape(client)

    assert after[("schools24_writebuffer_pending_records", model())] == 0.0
    assert after[("schools24_writebuffer_oldest_pending_age_seconds", model())] == 0.0
    assert after[("schools24_writebuffer_dead_letters", model())] == 1.0
    assert after[("schools24_writebuffer_sync_runs_total", ())] == 3.0
    assert after[("schools24_writebuffer_records_synced_total", ())] == 7.0
    assert after[("schools24_writebuffer_records_failed_total", ())] == 2.0
    assert after[("schools24_writebuffer_dead_lettered_total", ())] == 1.0
    assert after[("schools24_writebuffer_sync_errors_total", ())] == 0.0
    assert after[("schools24_writebuffer_last_sync_timestamp_seconds", ())] > 0


def test_metrics_count_fallback_writes_by_reason(client, settings):
    key = (
        "schools24_writebuffer_fallback_writes_total",
        (("model", LABEL), ("reason", "pending_limit")),
    )
    before = scrape(client).get(key, 0.0)
    set_buffer_option(settings, MAX_PENDING_PER_MODEL=2)

    buffered_save_many([make_note(owner=f"o{i}") for i in range(5)])

    assert scrape(client)[key] - before == 3.0
    assert scrape(client)[("schools24_writebuffer_pending_records", model())] == 2.0


def test_metrics_report_the_buffer_down_without_failing_the_scrape(client, settings):
    use_buffer_redis(settings, f"redis://127.0.0.1:{free_port()}/0", SOCKET_CONNECT_TIMEOUT=0.5)

    samples = scrape(client)

    assert samples[("schools24_writebuffer_up", ())] == 0.0
    assert ("schools24_writebuffer_pending_records", model()) not in samples
