"""Attendance admin pages show and open only the admin's own school."""

import pytest
from django.test import Client
from django.urls import reverse

from apps.attendance.models import AttendanceMark, AttendanceMarkChange, Register
from apps.attendance.services import MarkInput, register_take, school_today
from apps.core.tests.admin_scoping import assert_admin_shows_only_own_school
from apps.writebuffer.sync import sync_all

pytestmark = pytest.mark.django_db


def populate(world):
    register_take(
        school_class=world.school_class,
        on=school_today(world.school),
        period=0,
        marks=[MarkInput(student_id=world.student.pk, code="absent", note="ill")],
        marked_by=world.teacher,
    )


@pytest.mark.parametrize("model", [Register, AttendanceMark, AttendanceMarkChange])
def test_admin_lists_and_opens_only_its_school(world, other_world, model):
    populate(world)
    populate(other_world)
    sync_all(trigger="test")
    assert_admin_shows_only_own_school(model, world, other_world)


def test_marks_are_read_only_in_the_admin(world):
    populate(world)
    sync_all(trigger="test")
    mark = AttendanceMark.objects.get()
    client = Client()
    client.force_login(world.admin)
    url = reverse("admin:attendance_attendancemark_change", args=[mark.pk])
    client.post(url, {"code": "present", "note": ""})
    mark.refresh_from_db()
    assert (mark.code, mark.note) == ("absent", "ill")
    found = client.get(
        reverse("admin:attendance_attendancemark_changelist"), {"q": world.student.username}
    )
    assert [m.pk for m in found.context["cl"].result_list] == [mark.pk]


def test_a_registers_page_shows_its_marks_with_pending_ones_labelled(world):
    populate(world)
    register = Register.objects.get()
    client = Client()
    client.force_login(world.admin)
    url = reverse("admin:attendance_register_change", args=[register.pk])
    name = world.student.get_full_name()
    pending = client.get(url).content.decode()
    assert f"<tr><td>{name}</td><td>Absent</td><td>ill</td><td>pending sync</td></tr>" in pending
    assert f"{world.school.name}: Schools24 administration" in pending
    sync_all(trigger="test")
    stored = client.get(url).content.decode()
    assert f"<tr><td>{name}</td><td>Absent</td><td>ill</td><td></td></tr>" in stored


def test_a_buffered_models_list_says_what_waits_for_the_sync(world):
    from apps.users.tests.factories import SuperuserFactory

    populate(world)
    url = reverse("admin:attendance_attendancemark_changelist")
    operator, school_admin = Client(), Client()
    operator.force_login(SuperuserFactory())
    school_admin.force_login(world.admin)
    assert (
        "1 writes of attendance marks are waiting for the sync and are not listed yet. "
        f'<a href="{reverse("admin:writebuffer_syncrun_changelist")}">Sync now</a>'
    ) in operator.get(url).content.decode()
    assert "Recent writes are waiting for the sync" in school_admin.get(url).content.decode()
    sync_all(trigger="test")
    assert "waiting for the sync" not in operator.get(url).content.decode()
