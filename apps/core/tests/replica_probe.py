"""A Django process against a real primary/standby pair, driven by test_replicas.py.

It reads one command per line on stdin and answers each with one JSON line: which server
(``inet_server_port()``) and which alias served what. The test owns the servers and may stop
the standby between commands.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schools24.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection, connections, models  # noqa: E402
from django.http import HttpRequest, JsonResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import include, path  # noqa: E402

from apps.core import replicas  # noqa: E402
from apps.fees.selectors import fee_report  # noqa: E402
from apps.users.models import Role, School, User  # noqa: E402


class ServerPort(models.Func):
    function = "inet_server_port"
    template = "inet_server_port()"
    output_field = models.IntegerField()


@replicas.lag_tolerant
def served_by() -> int:
    """The port of the server a lag-tolerant read of ``School`` is sent to."""
    port = School.objects.annotate(port=ServerPort()).values_list("port", flat=True).first()
    assert port is not None
    return port


def write_then_read(request: HttpRequest) -> JsonResponse:
    """A request that writes (through the ORM, or raw SQL as the write buffer's write-through
    does), then makes lag-tolerant reads: both must see the primary."""
    before = served_by()
    if request.GET.get("raw"):
        with connection.cursor() as cursor:
            cursor.execute("UPDATE users_school SET name = name || '' WHERE slug = 'probe'")
    else:
        School.objects.filter(slug="probe").update(name="Probe school")
    assert isinstance(request.user, User)
    rows = fee_report(user=request.user, by="class")
    return JsonResponse({"before": before, "after": served_by(), "rows": len(rows)})


urlpatterns = [path("probe/write-then-read/", write_then_read), path("", include("schools24.urls"))]


def _client() -> Client:
    school, _ = School.objects.get_or_create(slug="probe", defaults={"name": "Probe school"})
    admin, _ = User.objects.get_or_create(
        username="probe-admin", defaults={"school": school, "role": Role.SCHOOL_ADMIN}
    )
    client = Client()
    client.force_login(admin)
    return client


def run(command: str, client: Client) -> dict[str, Any]:
    if command == "served_by":
        return {"port": served_by()}
    if command == "fee_report":
        # Django's CaptureQueriesContext would connect each alias first (a dead standby
        # included); the query log alone is enough here.
        aliases = ["default", *replicas.replica_aliases()]
        for alias in aliases:
            connections[alias].force_debug_cursor = True
            connections[alias].queries_log.clear()
        response = client.get("/api/v1/fees/reports/?by=class")
        counts = {
            alias: sum("fees_invoice" in q["sql"] for q in connections[alias].queries_log)
            for alias in aliases
        }
        for alias in aliases:
            connections[alias].force_debug_cursor = False
        return {"status": response.status_code, "invoice_queries": counts}
    if command in ("write_then_read", "write_then_read_raw"):
        suffix = "?raw=1" if command.endswith("raw") else ""
        response = client.get(f"/probe/write-then-read/{suffix}")
        return {"status": response.status_code, **response.json()}
    if command == "health":
        health = replicas.replica_health("replica")
        return {"usable": health.usable}
    raise ValueError(command)


def main() -> None:
    from django.conf import settings

    settings.ROOT_URLCONF = __name__
    client = _client()
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        try:
            # Each command is a unit of work of its own, as a request or a task is (setting up
            # the client wrote, which pinned this thread to the primary).
            with replicas.primary_scope():
                answer = run(line.strip(), client)
        except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
