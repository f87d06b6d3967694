"""The benchmark command runs end to end and reports every number CONTRACT.md promises.

No timing is asserted here (these machines are noisy); the numbers go in the README.
"""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from apps.homework.models import Submission
from apps.users.models import School
from apps.writebuffer.registry import Policy, registration_for

CONTRACT_KEYS = {
    "raw_bytes_per_record",
    "redis_bytes_per_record",
    "seed_layout_bytes_per_record",
    "sync_records_per_second",
    "api_writes_per_second_buffered",
    "api_writes_per_second_direct",
    "api_bare_django_per_second",
    "db_statements_per_1000_writes_buffered",
    "db_statements_per_1000_writes_direct",
}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_bench_writebuffer_prints_one_json_object_with_the_contracts_numbers():
    out, err = StringIO(), StringIO()
    call_command(
        "bench_writebuffer", records=1000, api_seconds=0.5, connections=4, json=True,
        stdout=out, stderr=err,
    )  # fmt: skip

    result = json.loads(out.getvalue())
    assert result.keys() >= CONTRACT_KEYS
    assert result["records"] == sum(result["record_mix"].values())
    assert result["records"] >= 1000
    # Each of the 1000 direct writes is at least its own INSERT.
    assert result["db_statements_per_1000_writes_direct"] >= 1000
    assert result["db_statements_per_1000_writes_buffered"] < 20
    assert "Cleaning up the benchmark school" in err.getvalue()
    # The API figures came over HTTP from the production server, every answer a 2xx (the command
    # fails otherwise), and it says what it measured.
    assert all(result["api_requests"][mode] > 0 for mode in ("buffered", "direct", "bare"))
    assert result["api_server"]["command"] == "scripts/serve.sh web"
    assert result["api_server"]["settings"] == "schools24.settings.production"
    assert "connections" in result["api_load_generator"]
    # It cleans up after itself and leaves the policy as it was.
    assert not School.objects.filter(slug__startswith="bench-").exists()
    assert registration_for(Submission).policy == Policy.WRITE_BEHIND
