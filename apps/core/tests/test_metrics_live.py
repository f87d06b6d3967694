"""/metrics, the operators' page and the Grafana dashboard against the real web server.

``scripts/serve.sh web`` with two gunicorn workers: requests land on either worker, and every
scrape, whichever worker answers it, must report the sum of both (prometheus_client's
multiprocess mode). The buffered writes and the sync run in this process, on the same
PostgreSQL database and Redis keys as the server.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from prometheus_client import REGISTRY
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from apps.core.tests.live import LiveServer, TcpProxy, database_host_port, proxied_database_url
from apps.pages.tests.browser import chromium, screenshot, wait_for
from apps.users.tests.factories import PASSWORD, StudentFactory, SuperuserFactory
from apps.users.tokens import access_token_for
from apps.writebuffer.models import SyncRun
from apps.writebuffer.services import buffered_save_many
from apps.writebuffer.sync import sync_all
from apps.writebuffer.tests.conftest import LABEL, make_note
from apps.writebuffer.tests.conftest import wait_for as wait_for_value

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TOKEN = "metrics-test-token"
ROOT = Path(settings.BASE_DIR)
Samples = dict[tuple[str, tuple], float]


@pytest.fixture(scope="module")
def run_dir():
    # Short: the server's unix sockets live here (a socket path is limited to 108 bytes).
    directory = tempfile.mkdtemp(prefix="s24-ops-")
    yield Path(directory)
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker, tmp_path_factory, run_dir):
    live = LiveServer(
        log_dir=tmp_path_factory.mktemp("web"),
        env={
            "WEB_CONCURRENCY": "2",
            "DATABASE_POOL": "1",
            "METRICS_TOKEN": TOKEN,
            # Only the token opens /metrics, as for Prometheus on another host.
            "METRICS_ALLOWED_NETWORKS": "192.0.2.0/32",
            "RUN_DIR": str(run_dir),
        },
    )
    live.start()
    ready(live)
    yield live
    live.stop()


def ready(live: LiveServer) -> LiveServer:
    """LiveServer.start() returns once the router answers; the router answers 503 until
    gunicorn's workers have booted."""
    wait_for_value(
        lambda: live.request("GET", "/livez/", timeout=5).status == 200,
        timeout=60,
        what="gunicorn's workers to answer",
    )
    return live


def scrape(server: LiveServer, token: str | None = TOKEN) -> Samples:
    reply = server.request("GET", "/metrics", token=token)
    assert reply.status == 200, reply.body
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(reply.body)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum over every series of ``name`` whose labels include ``labels``."""
    return sum(
        v
        for (sample, series), v in samples.items()
        if sample == name and set(labels.items()) <= set(series)
    )


BY_VIEW = "django_http_responses_total_by_status_view_method_total"
LIVEZ = {"view": "livez", "method": "GET", "status": "200"}


def livez_per_worker(directory: Path) -> dict[str, float]:
    """/livez/ responses each worker process counted, read from its multiprocess file."""
    counts: dict[str, float] = {}
    for path in directory.glob("counter_*.db"):
        pid = path.stem.rsplit("_", 1)[1]
        counts[pid] = 0.0
        for key, count, _timestamp, _position in MmapedDict.read_all_values_from_file(str(path)):
            _metric, name, labels, _help = json.loads(key)
            if name == BY_VIEW and labels == LIVEZ:
                counts[pid] += count
    return counts


def test_metrics_need_the_token(server):
    assert server.request("GET", "/metrics").status == 403
    assert server.request("GET", "/metrics", token="wrong").status == 403


def test_every_scrape_sums_both_workers_after_real_traffic(server, run_dir):
    student = StudentFactory()
    jwt = access_token_for(student)
    before = scrape(server)

    def hit(path: str, token: str | None = None) -> int:
        return server.request("GET", path, token=token).status

    # Side by side, so both workers serve some.
    with ThreadPoolExecutor(max_workers=6) as pool:
        livez = list(pool.map(hit, ["/livez/"] * 30))
        missing = list(pool.map(hit, ["/api/v1/no-such-path/"] * 7))
        me = list(pool.map(lambda _: hit("/api/v1/me/", jwt), range(6)))
    assert set(livez) == {200} and set(missing) == {404} and set(me) == {200}
    buffered_save_many([make_note(owner="live", title=f"n{i}") for i in range(7)])

    scrapes = [scrape(server) for _ in range(4)]

    # Both workers served /livez/: each counted its own in its own file.
    per_worker = livez_per_worker(run_dir / "prometheus")
    assert len([count for count in per_worker.values() if count > 0]) == 2, per_worker
    for after in scrapes:  # whichever worker answered
        assert value(after, BY_VIEW, **LIVEZ) - value(before, BY_VIEW, **LIVEZ) == 30
        assert total(after, BY_VIEW, status="404") - total(before, BY_VIEW, status="404") == 7
        assert (
            total(after, BY_VIEW, view="me", status="200")
            - total(before, BY_VIEW, view="me", status="200")
            == 6
        )
        assert value(after, "schools24_writebuffer_pending_records", model=LABEL) == 7
    after = scrapes[-1]
    latency = "django_http_requests_latency_including_middlewares_seconds"
    assert value(after, f"{latency}_count") - value(before, f"{latency}_count") >= 43
    assert value(after, f"{latency}_bucket", le="+Inf") == value(after, f"{latency}_count")
    # The JWT user comes from the read cache: one miss loads it, the other requests hit.
    hits = "schools24_cache_requests_total"
    assert value(after, hits, result="hit") - value(before, hits, result="hit") >= 5
    assert value(after, hits, result="miss") - value(before, hits, result="miss") >= 1
    assert value(after, "schools24_db_queries_total", kind="read") > value(
        before, "schools24_db_queries_total", kind="read"
    )
    for role in ("cache", "buffer"):
        assert value(after, "schools24_redis_up", role=role) == 1
        assert value(after, "schools24_redis_memory_used_bytes", role=role) > 0
        assert ("schools24_redis_evicted_keys_total", (("role", role),)) in after
    assert value(after, "schools24_postgres_up") == 1
    assert total(after, "schools24_postgres_connections") >= 1

    sync_all(trigger="test:live")
    synced = scrape(server)
    run = SyncRun.objects.get(trigger="test:live")

    assert value(synced, "schools24_writebuffer_pending_records", model=LABEL) == 0
    assert value(synced, "schools24_writebuffer_records_synced_total") == 7
    assert value(synced, "schools24_writebuffer_last_sync_records") == 7
    assert value(synced, "schools24_writebuffer_last_sync_success") == 1
    assert value(synced, "schools24_writebuffer_last_sync_failed_records") == 0
    assert value(synced, "schools24_writebuffer_last_sync_freed_bytes") == run.bytes_freed > 0
    assert value(synced, "schools24_writebuffer_freed_bytes_total") == run.bytes_freed
    # PostgreSQL publishes a backend's counters within about a second of its commit.
    rows = "schools24_postgres_rows_total"
    inserted = value(after, rows, operation="inserted")
    wait_for_value(
        lambda: value(scrape(server), rows, operation="inserted") - inserted >= 7,
        what="the sync's inserts in pg_stat_database",
    )


def test_a_scrape_answers_while_postgresql_is_down(django_db_blocker, tmp_path):
    proxy = TcpProxy(*database_host_port())
    proxy.restore()
    run = tempfile.mkdtemp(prefix="s24-ops-")
    live = LiveServer(
        log_dir=tmp_path,
        env={
            "DATABASE_URL": proxied_database_url(proxy),
            "DATABASE_POOL": "1",
            "WEB_CONCURRENCY": "1",
            "METRICS_TOKEN": TOKEN,
            "RUN_DIR": run,
        },
    ).start()
    ready(live)
    try:
        assert value(scrape(live), "schools24_postgres_up") == 1
        proxy.cut()

        down = scrape(live)

        assert value(down, "schools24_postgres_up") == 0
        assert value(down, "schools24_redis_up", role="cache") == 1
        assert ("schools24_writebuffer_last_sync_records", ()) not in down
        proxy.restore()
        # The pool heals by itself: PostgreSQL is reported up again without a restart.
        wait_for_value(
            lambda: value(scrape(live), "schools24_postgres_up") == 1,
            timeout=30,
            what="PostgreSQL reported up again",
        )
    finally:
        live.stop()
        proxy.cut()
        shutil.rmtree(run, ignore_errors=True)


# --- the operators' page in a browser -------------------------------------------------------------
@pytest.mark.browser
def test_the_operators_page_draws_the_live_figures(server):
    operator = SuperuserFactory()
    buffered_save_many([make_note(owner="page", title=f"p{i}") for i in range(4)])
    driver = chromium()
    try:
        driver.get(f"{server.url}/admin/login/?next=/admin/operations/%3Fevery%3D1")
        driver.find_element(By.NAME, "username").send_keys(operator.username)
        driver.find_element(By.NAME, "password").send_keys(PASSWORD)
        driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
        wait_for(driver, "#operations")

        def polls() -> int:
            return int(driver.find_element(By.ID, "operations").get_attribute("data-polls") or 0)

        WebDriverWait(driver, 20).until(lambda _: polls() >= 2)
        wait_for(driver, "#value-pending_records", text="4")
        assert driver.find_element(By.ID, "value-buffer_up").text == "up"
        assert driver.find_element(By.ID, "value-postgres_up").text == "up"
        # A rate needs two reads: by now it is a number, not a dash.
        assert re.fullmatch(
            r"[\d.,]+", driver.find_element(By.ID, "value-requests_per_second").text
        )
        # Every chart drawn: a uPlot canvas in each of the seven figures.
        assert len(driver.find_elements(By.CSS_SELECTOR, ".ops-chart .uplot canvas")) == 7
        rows = driver.find_elements(By.CSS_SELECTOR, "#ops-models tr")
        assert [r.find_elements(By.TAG_NAME, "td")[1].text for r in rows if LABEL in r.text] == [
            "4"
        ]

        sync_all(trigger="test:page")
        run = SyncRun.objects.get(trigger="test:page")
        wait_for(driver, "#value-pending_records", text="0")
        wait_for(driver, "#value-last_sync_records", text="4")
        assert driver.find_element(By.ID, "value-last_sync_success").text == "succeeded"
        screenshot(driver, "operations")

        # The page shows what the JSON endpoint (and /metrics) say.
        driver.get(f"{server.url}/admin/operations/metrics.json")
        figures = json.loads(driver.find_element(By.TAG_NAME, "body").text)["values"]
        assert figures["pending_records"] == 0
        assert figures["last_sync_records"] == 4
        assert figures["last_sync_freed_bytes"] == run.bytes_freed
        assert value(scrape(server), "schools24_writebuffer_last_sync_records") == 4
    finally:
        driver.quit()


# --- Prometheus and Grafana configuration ---------------------------------------------------------
METRIC_NAME = re.compile(r"\b(?:django|schools24)_[a-z0-9_]+\b")
# Series that appear only once something happened (a labelled counter with no value yet).
AFTER_AN_EVENT = {"schools24_writebuffer_fallback_writes_total"}


def dashboard_expressions() -> list[str]:
    dashboard = json.loads((ROOT / "deploy/grafana/dashboards/schools24.json").read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]


def test_every_dashboard_query_names_a_metric_the_server_exposes(server):
    # Everything there is to report: a finished sync, a pending write, the sync's schedule (a
    # transactional test before this one may have flushed the migration's row).
    buffered_save_many([make_note(owner="grafana")])
    sync_all(trigger="test:grafana")
    buffered_save_many([make_note(owner="grafana")])
    hourly, _ = IntervalSchedule.objects.get_or_create(every=1, period="hours")
    PeriodicTask.objects.get_or_create(
        task="apps.writebuffer.tasks.sync_write_buffer",
        defaults={"name": "write buffer: hourly sync", "interval": hourly},
    )
    server.request("GET", "/livez/")
    exposed = {name for name, _ in scrape(server)}
    used = {name for expr in dashboard_expressions() for name in METRIC_NAME.findall(expr)}

    assert used - exposed == AFTER_AN_EVENT
    for name in AFTER_AN_EVENT:  # declared in code all the same
        assert REGISTRY.get_sample_value(name, {"model": "x", "reason": "y"}) is None
        assert name.removesuffix("_total") in REGISTRY._names_to_collectors
    # Every metric of ours has a panel.
    ours = {name for name in exposed if name.startswith("schools24_")}
    assert ours - used == set()
    for needed in (
        "histogram_quantile(0.95",
        "histogram_quantile(0.99",
        'status=~"5.."',
        'status=~"4.."',
    ):
        assert any(needed in expr for expr in dashboard_expressions()), needed


def test_prometheus_and_grafana_are_wired_in_docker_compose():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    prometheus = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    datasources = yaml.safe_load(
        (ROOT / "deploy/grafana/provisioning/datasources/prometheus.yml").read_text()
    )
    providers = yaml.safe_load(
        (ROOT / "deploy/grafana/provisioning/dashboards/schools24.yml").read_text()
    )
    services = compose["services"]

    # Prometheus scrapes the http service's port with the token from the compose secret.
    [job] = prometheus["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    # Every http replica: Docker's DNS answers the service name with each one's address.
    [discovery] = job["dns_sd_configs"]
    assert (discovery["names"], discovery["type"]) == (["http"], "A")
    assert discovery["port"] == int(services["http"]["environment"]["HTTP_BIND"].rsplit(":", 1)[1])
    assert services["http"]["environment"]["ALLOWED_HOSTS_ADD_OWN_ADDRESSES"] == "true"
    assert job["authorization"]["credentials_file"] == "/run/secrets/metrics_token"
    assert services["prometheus"]["secrets"] == ["metrics_token"]
    assert compose["secrets"]["metrics_token"] == {"environment": "METRICS_TOKEN"}
    assert "METRICS_TOKEN" in services["http"]["environment"]["METRICS_TOKEN"]
    assert ",http" in services["http"]["environment"]["DJANGO_ALLOWED_HOSTS"]
    assert (
        "./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro"
        in services["prometheus"]["volumes"]
    )
    assert "--config.file=/etc/prometheus/prometheus.yml" in services["prometheus"]["command"]

    # Grafana: the datasource the dashboard names, and the provider's path is the mount.
    [source] = datasources["datasources"]
    assert source["url"] == "http://prometheus:9090"
    uids = {
        target["datasource"]["uid"]
        for panel in json.loads((ROOT / "deploy/grafana/dashboards/schools24.json").read_text())[
            "panels"
        ]
        for target in panel.get("targets", [])
    }
    assert uids == {source["uid"]}
    [provider] = providers["providers"]
    mounts = dict(volume.rsplit(":", 2)[:2] for volume in services["grafana"]["volumes"][:2])
    assert mounts["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
    assert mounts["./deploy/grafana/dashboards"] == provider["options"]["path"]
