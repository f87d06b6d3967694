"""The operators' page and its JSON endpoint (in-process), the new collectors, and who may see
them. The same figures over a real multi-process server: ``test_metrics_live.py``."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from apps.core.collectors import query_kind
from apps.users.tests.factories import (
    SchoolAdminFactory,
    StudentFactory,
    SuperuserFactory,
    TeacherFactory,
)
from apps.writebuffer.models import SyncRun
from apps.writebuffer.services import buffered_save_many
from apps.writebuffer.sync import sync_all
from apps.writebuffer.tests.conftest import LABEL, free_port, make_note, use_buffer_redis

pytestmark = pytest.mark.django_db

PAGE = "/admin/operations/"
JSON = "/admin/operations/metrics.json"


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def operator_json(client) -> dict:
    client.force_login(SuperuserFactory())
    response = client.get(JSON)
    assert response.status_code == 200
    return response.json()


# --- who may see it ------------------------------------------------------------------------------
@pytest.mark.parametrize("path", [PAGE, JSON])
def test_anonymous_visitors_are_sent_to_the_admin_login(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith(f"/admin/login/?next={path}")


@pytest.mark.parametrize("path", [PAGE, JSON])
def test_school_admins_are_refused(client, path):
    client.force_login(SchoolAdminFactory())

    response = client.get(path)

    assert response.status_code == 403
    assert b"pending_records" not in response.content


@pytest.mark.parametrize("path", [PAGE, JSON])
@pytest.mark.parametrize(
    "make_user",
    [lambda: TeacherFactory(is_staff=True), StudentFactory],
    ids=["staff_not_superuser", "student"],
)
def test_people_the_admin_refuses_are_sent_to_the_admin_login(client, path, make_user):
    # The admin itself lets in only operators and school admins (apps/core/admin.py).
    client.force_login(make_user())

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_admin_index_links_the_page_for_operators_only(client):
    client.force_login(SchoolAdminFactory())
    assert PAGE.encode() not in client.get("/admin/").content

    client.force_login(SuperuserFactory())
    page = client.get("/admin/").content.decode()
    assert f'<a href="{PAGE}">' in page


def test_the_page_loads_its_scripts_from_this_site_with_no_inline_script(client):
    client.force_login(SuperuserFactory())

    response = client.get(f"{PAGE}?every=2")

    page = response.content.decode()
    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert '<script src="/static/vendor/uplot/uPlot.iife.min.js" defer></script>' in page
    assert '<script src="/static/core/operations.js" defer></script>' in page
    assert "<script>" not in page
    assert f'data-metrics-url="{JSON}" data-poll-ms="2000"' in page
    assert 'id="value-pending_records"' in page


# --- the JSON endpoint's figures ------------------------------------------------------------------
def test_the_json_reports_pending_writes_then_what_the_sync_did(client, settings):
    buffered_save_many([make_note(owner="ops", title=f"n{i}") for i in range(5)])

    before = operator_json(client)

    assert before["values"]["buffer_up"] == 1
    assert before["values"]["pending_records"] == 5
    assert before["values"]["pending_bytes"] > 0
    [row] = [row for row in before["models"] if row["model"] == LABEL]
    assert row["pending_records"] == 5
    assert 0 < row["compression_ratio"] < 1.5

    sync_all(trigger="test:operations")
    after = client.get(JSON).json()["values"]
    run = SyncRun.objects.get(trigger="test:operations")

    assert after["pending_records"] == 0
    assert after["records_synced"] == 5
    assert after["sync_runs"] == 1
    assert after["sync_errors"] == 0
    assert after["last_sync_records"] == 5
    assert after["last_sync_success"] == 1
    assert after["last_sync_failed_records"] == 0
    assert run.bytes_freed > 0
    assert after["last_sync_freed_bytes"] == run.bytes_freed
    assert after["freed_bytes"] == run.bytes_freed
    assert after["last_sync_duration"] == pytest.approx(run.duration_seconds)


def test_a_failed_sync_run_is_reported_as_failed(client):
    SyncRun.objects.create(
        trigger="test", status=SyncRun.Status.FAILED, records_synced=3, records_failed=2
    )

    values = operator_json(client)["values"]

    assert values["last_sync_success"] == 0
    assert values["last_sync_records"] == 3
    assert values["last_sync_failed_records"] == 2


def test_the_next_sync_is_the_beat_schedules_next_run(client):
    last_run = timezone.now() - dt.timedelta(minutes=20)
    # The migration's row (a transactional test elsewhere may have flushed it): hourly.
    hourly, _ = IntervalSchedule.objects.get_or_create(every=1, period="hours")
    PeriodicTask.objects.update_or_create(
        name="write buffer: hourly sync",
        defaults={"task": "apps.writebuffer.tasks.sync_write_buffer", "interval": hourly},
    )
    PeriodicTask.objects.filter(task="apps.writebuffer.tasks.sync_write_buffer").update(
        last_run_at=last_run, interval=hourly, crontab=None, enabled=True
    )

    values = operator_json(client)["values"]

    expected = (last_run + dt.timedelta(hours=1)).timestamp()
    assert values["next_sync_timestamp"] == pytest.approx(expected, abs=1)


def test_the_json_reports_redis_and_postgresql(client):
    values = operator_json(client)["values"]

    for role in ("cache", "buffer"):
        assert values[f"redis_{role}_up"] == 1
        assert values[f"redis_{role}_used_bytes"] > 0
        assert values[f"redis_{role}_max_bytes"] >= 0
        assert values[f"redis_{role}_evicted_keys"] >= 0
    assert values["postgres_up"] == 1
    assert values["postgres_connections"] >= 1
    assert values["postgres_commits"] > 0


# --- the collectors -------------------------------------------------------------------------------
def test_read_cache_lookups_are_counted_as_hits_and_misses(client):
    def counted(result: str) -> float:
        return REGISTRY.get_sample_value("schools24_cache_requests_total", {"result": result}) or 0

    hits, misses = counted("hit"), counted("miss")
    cache.get("ops-absent")
    cache.set("ops-present", {"a": 1})
    cache.get("ops-present")
    cache.get("ops-none-stored", "default")
    cache.set("ops-none", None)
    assert cache.get("ops-none", "default") is None  # a stored None is a hit, not the default
    cache.get_many(["ops-present", "ops-absent", "ops-none"])

    assert counted("hit") - hits == 4
    assert counted("miss") - misses == 3


def test_read_cache_bytes_before_and_after_compression_are_counted():
    def counted(name: str) -> float:
        return REGISTRY.get_sample_value(name) or 0.0

    raw, stored = (
        counted("schools24_cache_raw_bytes_total"),
        counted("schools24_cache_stored_bytes_total"),
    )
    cache.set("ops-big", "the same sentence again. " * 200)

    raw_delta = counted("schools24_cache_raw_bytes_total") - raw
    stored_delta = counted("schools24_cache_stored_bytes_total") - stored
    assert raw_delta > 5000
    assert 0 < stored_delta < raw_delta / 10


def test_queries_are_counted_by_kind(client):
    def counted(kind: str) -> float:
        return REGISTRY.get_sample_value("schools24_db_queries_total", {"kind": kind}) or 0

    reads, writes = counted("read"), counted("write")
    user = SuperuserFactory()  # one INSERT (get_or_create: one SELECT first)
    user.save(update_fields=["first_name"])  # one UPDATE

    assert counted("write") - writes == 2
    assert counted("read") - reads == 1


@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        ("SELECT 1", "read"),
        ("  (SELECT 1) UNION (SELECT 2)", "read"),
        ("WITH x AS (SELECT 1) SELECT * FROM x", "read"),
        ('INSERT INTO "t" VALUES (1)', "write"),
        ("update t set a = 1", "write"),
        ("DELETE FROM t", "write"),
        ("SAVEPOINT s1", "other"),
        ("SET LOCAL statement_timeout = 1000", "other"),
        ("", "other"),
    ],
)
def test_query_kind(sql, kind):
    assert query_kind(sql) == kind


def test_a_scrape_reports_redis_down_without_failing(client, settings):
    dead = f"redis://127.0.0.1:{free_port()}/0"
    use_buffer_redis(settings, dead, SOCKET_CONNECT_TIMEOUT=0.5)

    samples = scrape(client)

    assert samples[("schools24_redis_up", (("role", "buffer"),))] == 0
    assert samples[("schools24_redis_up", (("role", "cache"),))] == 1
    assert samples[("schools24_writebuffer_up", ())] == 0
    assert samples[("schools24_postgres_up", ())] == 1
    assert ("schools24_redis_memory_used_bytes", (("role", "buffer"),)) not in samples
