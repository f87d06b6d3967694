"""seed_demo adds this app's demo data, and running it again adds nothing."""

import pytest

from apps.attendance.models import AttendanceMark, AttendanceMarkChange, Register
from apps.users.demo import seed_demo

pytestmark = pytest.mark.django_db

MODELS = [Register, AttendanceMark, AttendanceMarkChange]


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_seed_is_idempotent():
    seed_demo(students=8, password="pw-12345!", progress=False)
    first = counts()
    seed_demo(students=8, password="pw-12345!", progress=False)
    assert counts() == first
    # 4 classes x 10 past school days, plus today's register for 2 of the classes;
    # 8 students (2 per class) marked in each
    assert first == {"Register": 42, "AttendanceMark": 84, "AttendanceMarkChange": 84}
