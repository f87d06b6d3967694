"""``/api/docs/`` works without internet: every file it loads comes from this server, and the
schema lists the directory endpoints."""

import re

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db

URL_ATTRIBUTE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")
ABSOLUTE_URL = re.compile(r"""(?:https?:)?//[\w.-]+""")


def test_the_docs_page_loads_nothing_from_another_host(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert ABSOLUTE_URL.findall(page) == []
    assets = URL_ATTRIBUTE.findall(page)
    # The page's own script (Swagger UI's settings) and the sidecar's files, all from this site.
    assert "/api/docs/?script=" in assets
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css" in assets
    assert all(asset.startswith("/") for asset in assets), assets
    script = b""
    for asset in assets:
        served = client.get(asset)
        assert served.status_code == 200, asset
        body = b"".join(served.streaming_content if served.streaming else [served.content])
        assert body
        if asset.startswith("/api/docs/"):
            script = body
            assert ABSOLUTE_URL.findall(body.decode()) == []
    # The validator badge is off: Swagger UI would fetch it from swagger.io.
    assert b'"validatorUrl": null' in script


def test_the_schema_lists_the_directory(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(target))
    paths = yaml.safe_load(target.read_text())["paths"]
    assert {
        "/api/v1/me/",
        "/api/v1/classes/",
        "/api/v1/classes/{class_id}/",
        "/api/v1/classes/{class_id}/students/",
        "/api/v1/subjects/",
    } <= set(paths)
