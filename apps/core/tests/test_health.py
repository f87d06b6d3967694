"""``/healthz/`` and the other operations endpoints: schema, docs, metrics, admin login."""

import pytest
from django_redis import get_redis_connection

from apps.writebuffer.status import buffer_redis_durability

pytestmark = pytest.mark.django_db

AOF_OFF = "append-only file is off: a restart would lose buffered writes"


class TestHealthz:
    @pytest.fixture(autouse=True)
    def default_local_redis(self):
        # The suite's Redis is the plain local one (CI starts it without an append-only file);
        # the healthy case, with an AOF Redis of its own, is covered by the write-buffer tests.
        config = get_redis_connection("writebuffer").config_get("appendonly")
        assert config == {"appendonly": "no"}, "this test expects the default Redis (AOF off)"

    def test_reports_every_check_and_is_503_when_the_buffer_is_not_durable(self, client):
        response = client.get("/healthz/")

        assert response.status_code == 503
        assert response["Content-Type"] == "application/json"
        assert response.json() == {
            "status": "unhealthy",
            "checks": {
                "database": {"ok": True, "vendor": "postgresql"},
                "cache_redis": {"ok": True},
                "buffer_redis": {"ok": False, "durable": False, "problems": [AOF_OFF]},
                "broker": {"ok": True},
            },
        }

    def test_unreachable_broker_is_reported(self, client, settings):
        settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"

        response = client.get("/healthz/")

        broker = response.json()["checks"]["broker"]
        assert response.status_code == 503
        assert broker["ok"] is False
        assert "Connection refused" in broker["error"]

    def test_needs_no_login(self, client):
        assert client.get("/healthz/").json()["checks"]["database"]["ok"] is True


class TestBufferRedisDurability:
    def test_aof_on_and_noeviction_is_safe(self):
        assert buffer_redis_durability({"aof_enabled": 1}, {"maxmemory_policy": "noeviction"}) == []

    def test_missing_policy_means_the_redis_default(self):
        assert buffer_redis_durability({"aof_enabled": "1"}, {}) == []

    def test_every_problem_is_named(self):
        assert buffer_redis_durability({"aof_enabled": 0}, {"maxmemory_policy": "allkeys-lru"}) == [
            AOF_OFF,
            "maxmemory-policy is allkeys-lru: Redis may evict unsynced writes (use noeviction)",
        ]


class TestOperationsEndpoints:
    def test_openapi_schema_lists_the_auth_and_me_endpoints(self, client):
        response = client.get("/api/schema/", {"format": "json"})

        assert response.status_code == 200
        schema = response.json()
        assert schema["openapi"].startswith("3.")
        assert schema["info"]["title"] == "Schools24 API"
        assert {"/api/v1/me/", "/api/v1/auth/token/", "/api/v1/auth/token/refresh/"} <= set(
            schema["paths"]
        )
        assert set(schema["paths"]["/api/v1/auth/token/"]) == {"post"}

    def test_schema_is_yaml_by_default(self, client):
        response = client.get("/api/schema/")

        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.oai.openapi")
        assert response.content.startswith(b"openapi: 3.")

    def test_docs_render(self, client):
        response = client.get("/api/docs/")

        assert response.status_code == 200
        assert b"swagger-ui" in response.content

    def test_metrics_are_prometheus_text(self, client):
        client.get("/healthz/")

        response = client.get("/metrics")

        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain")
        assert b"# TYPE django_http_requests_before_middlewares_total counter" in response.content

    def test_admin_login_page(self, client):
        response = client.get("/admin/login/")

        assert response.status_code == 200
        assert b"Schools24 administration" in response.content
