"""``bench_dashboard`` and ``bench_board_fanout`` run end to end on a small scale.

No speed is asserted (these machines are noisy); the figures go in the README. What is asserted
is that every request was answered and every socket got the update, so that the commands keep
working as the code under them changes.
"""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from apps.users.models import School

ROLES = ["student", "guardian", "teacher", "school_admin"]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_bench_dashboard_measures_every_role_cached_and_uncached():
    out = StringIO()
    call_command("bench_dashboard", seconds=0.01, json=True, stdout=out)

    result = json.loads(out.getvalue())
    assert list(result["roles"]) == ROLES
    for figures in result["roles"].values():
        assert (len(figures["rounds_cached"]), len(figures["rounds_uncached"])) == (3, 3)
        assert figures["cached_per_second"] > 0 and figures["uncached_per_second"] > 0
    assert not School.objects.filter(slug__startswith="bench-").exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_bench_board_fanout_reaches_every_socket():
    out = StringIO()
    call_command("bench_board_fanout", sockets=20, rounds=2, json=True, stdout=out)

    result = json.loads(out.getvalue().strip().splitlines()[-1])
    assert (result["sockets"], result["received_by"]) == (20, 20)
    assert len(result["last_socket_seconds"]) == 2
    assert not School.objects.filter(slug__startswith="bench-").exists()
