"""The attendance API end to end: whole-class marking, re-marking, reports, roles, isolation."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.attendance.models import AttendanceMark, AttendanceMarkChange, Register
from apps.attendance.services import school_today
from apps.users.tests.factories import ClassWorld
from apps.writebuffer.sync import sync_all

pytestmark = pytest.mark.django_db

CODES = ["present", "absent", "late", "excused"]


def take_register(client, world, marks, *, on=None, period=0):
    return client.post(
        reverse("attendance-registers"),
        {
            "school_class": str(world.school_class.pk),
            "date": (on or school_today(world.school)).isoformat(),
            "period": period,
            "marks": marks,
        },
        format="json",
    )


def all_present(students):
    return [{"student": str(student.pk), "code": "present"} for student in students]


def test_a_class_of_40_is_marked_in_one_request(client_for, django_assert_num_queries):
    world = ClassWorld(students=40)
    marks = [
        {"student": str(student.pk), "code": CODES[index % 4], "note": f"n{index}"}
        for index, student in enumerate(world.students)
    ]
    client = client_for(world.teacher)
    # Constant in the class size: class, teaches check, roster, register lookup, the calendar
    # (academic year, school week, holidays), savepoint, insert, release, current marks,
    # register update, then the response's marks (one query, plus students and markers of the
    # pending rows).
    with django_assert_num_queries(15):
        response = take_register(client, world, marks)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (len(body["marks"]), body["changed"], body["unchanged"]) == (40, 40, 0)
    assert sorted(m["code"] for m in body["marks"]).count("absent") == 10
    assert AttendanceMark.objects.count() == 0  # acknowledged from the write buffer
    sync_all(trigger="test")
    assert AttendanceMark.objects.count() == 40
    assert AttendanceMarkChange.objects.count() == 40


def test_remarking_changes_marks_without_losing_any(world, client_for):
    first = take_register(client_for(world.teacher), world, all_present(world.students))
    register_id = first.json()["id"]
    sync_all(trigger="test")
    versions = dict(AttendanceMark.objects.values_list("student_id", "version"))

    changed = client_for(world.admin).post(
        reverse("attendance-register-marks", args=[register_id]),
        {"marks": [{"student": str(world.students[1].pk), "code": "absent", "note": "ill"}]},
        format="json",
    )
    assert changed.status_code == 200, changed.json()
    assert (changed.json()["changed"], len(changed.json()["marks"])) == (1, 3)
    codes = {m["student"]["id"]: (m["code"], m["note"]) for m in changed.json()["marks"]}
    assert codes == {
        str(world.students[0].pk): ("present", ""),
        str(world.students[1].pk): ("absent", "ill"),
        str(world.students[2].pk): ("present", ""),
    }
    # Reopening through the create endpoint with the same marks changes nothing.
    reopened = take_register(client_for(world.teacher), world, all_present(world.students[:1]))
    assert (reopened.status_code, reopened.json()["id"], reopened.json()["changed"]) == (
        200,
        register_id,
        0,
    )

    history = client_for(world.teacher).get(
        reverse("attendance-register-changes", args=[register_id])
    )
    latest = history.json()["results"][0]
    assert history.json()["count"] == 4
    assert (latest["previous_code"], latest["code"], latest["changed_by"]["id"]) == (
        "present",
        "absent",
        str(world.admin.pk),
    )
    sync_all(trigger="test")
    stored = {m.student_id: m for m in AttendanceMark.objects.all()}
    assert len(stored) == 3
    assert stored[world.students[1].pk].code == "absent"
    assert stored[world.students[1].pk].version > versions[world.students[1].pk]
    assert stored[world.students[0].pk].version == versions[world.students[0].pk]


def test_marks_for_a_student_not_in_the_class_write_nothing(world, other_world, client_for):
    marks = [*all_present(world.students[:1]), *all_present(other_world.students[:1])]
    response = take_register(client_for(world.teacher), world, marks)
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid",
            "message": "Some marks are not valid; nothing was saved.",
            "fields": {"marks": {"1": {"student": ["Not a student of this class."]}}},
        }
    }
    assert Register.objects.count() == 0
    sync_all(trigger="test")
    assert AttendanceMark.objects.count() == 0


def test_bad_dates_and_codes_are_refused(world, client_for):
    client = client_for(world.teacher)
    wrong_format = take_register(client, world, all_present(world.students), on=None)
    assert wrong_format.status_code == 201
    response = client.post(
        reverse("attendance-registers"),
        {"school_class": str(world.school_class.pk), "date": "26/11/2026", "marks": []},
        format="json",
    )
    assert response.status_code == 400
    assert sorted(response.json()["error"]["fields"]) == ["date", "marks"]
    future = take_register(
        client, world, all_present(world.students), on=school_today(world.school) + timedelta(1)
    )
    assert future.json()["error"]["fields"] == {"date": ["Must not be in the future."]}
    bad_code = take_register(
        client, world, [{"student": str(world.student.pk), "code": "asleep"}], period=2
    )
    assert bad_code.status_code == 400
    assert list(bad_code.json()["error"]["fields"]["marks"]["0"]) == ["code"]


def test_other_school_can_neither_read_nor_mark(world, other_world, client_for):
    created = take_register(client_for(world.teacher), world, all_present(world.students))
    register_id = created.json()["id"]
    for outsider in (other_world.admin, other_world.teacher):
        client = client_for(outsider)
        assert client.get(reverse("attendance-register", args=[register_id])).status_code == 404
        assert (
            client.post(
                reverse("attendance-register-marks", args=[register_id]),
                {"marks": all_present(world.students)},
                format="json",
            ).status_code
            == 404
        )
        assert (
            client.get(reverse("attendance-register-changes", args=[register_id])).status_code
            == 404
        )
        assert take_register(client, world, all_present(world.students)).json()["error"][
            "fields"
        ] == {"school_class": ["Not found."]}
        assert client.get(reverse("attendance-registers")).json()["count"] == 0
        rate_url = reverse("attendance-class-rate", args=[world.school_class.pk])
        assert client.get(rate_url).status_code == 404
        missing = client.get(reverse("attendance-registers-missing")).json()["results"]
        assert str(world.school_class.pk) not in {item["id"] for item in missing}
    daily_url = reverse("attendance-student-daily", args=[world.student.pk])
    assert client_for(other_world.student).get(daily_url).status_code == 404
    assert client_for(other_world.guardian).get(daily_url).status_code == 404


def test_daily_summary_shows_pending_marks_to_the_student_and_guardian(world, client_for):
    today = school_today(world.school)
    client = client_for(world.teacher)
    take_register(client, world, all_present(world.students), period=1)
    take_register(
        client, world, [{"student": str(world.student.pk), "code": "late", "note": "bus"}], period=2
    )
    url = reverse("attendance-student-daily", args=[world.student.pk])
    expected = {
        "date": today.isoformat(),
        "status": "mixed",
        "counts": {"present": 1, "absent": 0, "late": 1, "excused": 0},
    }
    for user in (world.student, world.guardian, world.teacher, world.admin):
        [day] = client_for(user).get(url).json()["results"]
        assert {key: day[key] for key in expected} == expected
        assert [(m["period"], m["code"], m["note"]) for m in day["marks"]] == [
            (1, "present", ""),
            (2, "late", "bus"),
        ]
    classmate = reverse("attendance-student-daily", args=[world.students[1].pk])
    assert client_for(world.student).get(classmate).status_code == 404
    assert client_for(world.guardian).get(classmate).status_code == 404


def test_class_rate_over_a_range(world, client_for):
    client = client_for(world.teacher)
    today = school_today(world.school)
    yesterday = today - timedelta(days=1)
    codes = ["present", "absent", "late"]
    take_register(
        client,
        world,
        [{"student": str(s.pk), "code": c} for s, c in zip(world.students, codes, strict=True)],
        on=yesterday,
    )
    take_register(client, world, all_present(world.students), on=today)
    sync_all(trigger="test")
    take_register(client, world, all_present(world.students[:1]), on=today, period=3)  # pending
    url = reverse("attendance-class-rate", args=[world.school_class.pk])
    body = client.get(url, {"date_from": yesterday.isoformat(), "date_to": today.isoformat()})
    body = body.json()
    assert (body["registers"], body["counts"]) == (
        3,
        {"present": 5, "absent": 1, "late": 1, "excused": 0},
    )
    assert Decimal(body["rate"]) == Decimal("85.7")  # 6 of 7 marks present or late
    rates = {row["student"]["id"]: (row["marks"], row["rate"]) for row in body["students"]}
    assert rates[str(world.students[1].pk)] == (2, "50.0")
    assert rates[str(world.students[0].pk)] == (3, "100.0")
    bad = client.get(url, {"date_from": "2026-13-01"})
    assert bad.status_code == 400


def test_missing_registers_report(world, client_for):
    second = ClassWorld(school=world.school, students=1)
    take_register(client_for(world.teacher), world, all_present(world.students))
    missing = client_for(world.admin).get(reverse("attendance-registers-missing")).json()
    assert [item["id"] for item in missing["results"]] == [str(second.school_class.pk)]
    other_day = date(2026, 1, 5).isoformat()
    earlier = client_for(world.admin).get(
        reverse("attendance-registers-missing"), {"date": other_day}
    )
    assert earlier.json()["count"] == 2
    own = client_for(world.teacher).get(reverse("attendance-registers-missing")).json()
    assert own["count"] == 0  # the teacher's only class is marked
    assert client_for(world.student).get(reverse("attendance-registers-missing")).status_code == (
        403
    )


def test_list_endpoints_query_counts(world, client_for, django_assert_num_queries):
    client = client_for(world.teacher)
    today = school_today(world.school)
    for days_ago in range(3):
        take_register(client, world, all_present(world.students), on=today - timedelta(days_ago))
    register_id = Register.objects.order_by("-date").first().pk
    sync_all(trigger="test")
    with django_assert_num_queries(2):  # count, page (with class and markers joined)
        assert client.get(reverse("attendance-registers")).json()["count"] == 3
    with django_assert_num_queries(2):  # register, marks (with students joined)
        detail = client.get(reverse("attendance-register", args=[register_id]))
    assert len(detail.json()["marks"]) == 3
    with django_assert_num_queries(2):  # register, changes
        assert (
            client.get(reverse("attendance-register-changes", args=[register_id])).json()["count"]
            == 3
        )
    daily = reverse("attendance-student-daily", args=[world.student.pk])
    with django_assert_num_queries(3):  # student, registers, marks
        assert client_for(world.student).get(daily).json()["count"] == 3
    with django_assert_num_queries(1):  # count (an empty page is not fetched)
        assert client.get(reverse("attendance-registers-missing")).json()["count"] == 0


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("date_to=0001-01-02", None, None),  # the default range stops at the first day there is
        ("date_from=2026-03-02&date_to=2026-03-01", "date_from", "After date_to."),
        (
            "date_from=2024-01-01&date_to=2026-03-01",
            "date_from",
            "At most 366 days before date_to.",
        ),
    ],
)
def test_date_ranges_at_the_edges_answer_200_or_a_clear_400(
    world, client_for, query, field, message
):
    client = client_for(world.teacher)
    for name, args in [
        ("attendance-class-rate", [world.school_class.pk]),
        ("attendance-student-daily", [world.student.pk]),
    ]:
        response = client.get(f"{reverse(name, args=args)}?{query}")

        if field is None:
            assert response.status_code == 200
        else:
            assert response.status_code == 400
            assert response.json()["error"]["fields"] == {field: [message]}
