"""The issue's "done when", end to end through the API with JWT logins, real PostgreSQL and Redis.

Run with ``-s`` to see the evidence lines it prints.
"""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader
from rest_framework.test import APIClient

from apps.attendance.models import AttendanceMark
from apps.attendance.services import school_today
from apps.grades.models import Term
from apps.homework.models import Submission
from apps.users.tests.factories import PASSWORD, ClassWorld
from apps.writebuffer.sync import sync_all

pytestmark = pytest.mark.django_db


def login(user) -> APIClient:
    client = APIClient()
    tokens = client.post(
        reverse("token-obtain"), {"username": user.username, "password": PASSWORD}, format="json"
    )
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.json()['access']}")
    return client


def test_done_when():
    world = ClassWorld(students=40)
    teacher, student = login(world.teacher), login(world.student)

    # A class of 40 marked in one request.
    response = teacher.post(
        reverse("attendance-registers"),
        {
            "school_class": str(world.school_class.pk),
            "date": school_today(world.school).isoformat(),
            "marks": [{"student": str(s.pk), "code": "present"} for s in world.students],
        },
        format="json",
    )
    print(f"\nregister POST: status {response.status_code}, marks {len(response.json()['marks'])}")
    assert (response.status_code, len(response.json()["marks"])) == (201, 40)

    # A submission visible before and after sync, exactly one row in PostgreSQL after.
    homework = teacher.post(
        reverse("homework-list"),
        {
            "school_class": str(world.school_class.pk),
            "subject": str(world.subject.pk),
            "title": "Essay",
            "due_at": (timezone.now() + timedelta(days=1)).isoformat(),
        },
        format="json",
    ).json()
    submitted = student.post(
        reverse("homework-submissions", args=[homework["id"]]), {"text": "Done"}, format="json"
    ).json()
    detail = reverse("homework-submission", args=[homework["id"], submitted["id"]])
    before = student.get(detail)
    rows_before = Submission.objects.filter(pk=submitted["id"]).count()
    print(
        f"submission before sync: GET {before.status_code} text={before.json()['text']!r}, "
        f"rows in PostgreSQL {rows_before}"
    )
    result = sync_all(trigger="test")
    after = student.get(detail)
    rows_after = Submission.objects.filter(pk=submitted["id"]).count()
    print(
        f"submission after sync ({result.synced} records synced): GET {after.status_code} "
        f"text={after.json()['text']!r}, rows in PostgreSQL {rows_after}"
    )
    assert (before.status_code, rows_before, after.status_code, rows_after) == (200, 0, 200, 1)
    assert AttendanceMark.objects.count() == 40

    # A report card PDF.
    today = timezone.localdate()
    Term.objects.create(
        school=world.school, name="Term 1", academic_year="2026-27",
        starts_on=today - timedelta(days=30), ends_on=today + timedelta(days=30),
    )  # fmt: skip
    pdf = student.get(reverse("grades-report-card", args=[world.student.pk]))
    reader = PdfReader(io.BytesIO(pdf.content))
    first_line = reader.pages[0].extract_text().splitlines()[0]
    print(f"report card: status {pdf.status_code}, {len(reader.pages)} page(s), "
          f"first line {first_line!r}")  # fmt: skip
    assert (pdf.status_code, len(reader.pages), first_line) == (200, 1, world.school.name)
