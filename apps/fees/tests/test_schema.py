"""The fees endpoints are in the OpenAPI document, which still generates without warnings."""

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_fees_endpoints_are_in_the_schema(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(target))
    paths = yaml.safe_load(target.read_text())["paths"]
    assert {
        "/api/v1/fees/invoices/",
        "/api/v1/fees/invoices/{invoice_id}/",
        "/api/v1/fees/invoices/{invoice_id}/payments/",
        "/api/v1/fees/payments/{payment_id}/receipt/",
        "/api/v1/fees/payments/{payment_id}/refunds/",
        "/api/v1/fees/gateway/{gateway_name}/webhook/",
        "/api/v1/fees/reports/",
    } <= set(paths)
    payment = paths["/api/v1/fees/invoices/{invoice_id}/payments/"]["post"]
    assert "Idempotency-Key" in {parameter["name"] for parameter in payment["parameters"]}
