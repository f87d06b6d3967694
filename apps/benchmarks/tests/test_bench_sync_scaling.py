"""``bench_sync_scaling`` runs end to end with real sync processes and every row lands.

No speed is asserted (these machines are noisy); the figures go in the README.
"""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from apps.users.models import School


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_bench_sync_scaling_syncs_every_record_with_each_worker_count():
    out, err = StringIO(), StringIO()
    call_command(
        "bench_sync_scaling", records=300, workers="1,2", batch_size=50, json=True,
        stdout=out, stderr=err,
    )  # fmt: skip

    result = json.loads(out.getvalue())
    runs = result["runs"]
    assert [run["workers"] for run in runs] == [1, 2]
    for run in runs:
        # The command has already checked each row's newest version in PostgreSQL and an
        # empty buffer (it fails otherwise); every record was synced exactly once.
        assert run["records"] >= 300
        assert run["records_synced"] == run["records"]
        assert run["records_per_second"] > 0
    assert runs[0]["ratio_to_first"] == 1.0
    assert [r["workers"] for r in result["rounds"]] == [1, 2]
    assert "syncing" in err.getvalue() and "all rows landed" in err.getvalue()
    assert not School.objects.filter(slug__startswith="bench-").exists()
