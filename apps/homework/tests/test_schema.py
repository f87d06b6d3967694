"""The OpenAPI document still generates cleanly with the homework, attendance and grades APIs."""

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_schema_has_no_warnings_and_lists_the_domain_endpoints(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(target))
    paths = yaml.safe_load(target.read_text())["paths"]
    assert {
        "/api/v1/homework/{homework_id}/submissions/",
        "/api/v1/attendance/registers/",
        "/api/v1/grades/students/{student_id}/report-card/",
    } <= set(paths)
    assert "multipart/form-data" in paths["/api/v1/homework/"]["post"]["requestBody"]["content"]
