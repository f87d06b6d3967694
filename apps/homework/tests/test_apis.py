"""The homework API end to end: roles, files, read-your-writes, idempotency, query counts."""

import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from apps.homework.models import Homework, Submission
from apps.homework.tests.conftest import make_homework
from apps.writebuffer.sync import sync_all

pytestmark = pytest.mark.django_db


def submissions_url(homework):
    return reverse("homework-submissions", args=[homework.pk])


def test_teacher_creates_homework_with_attachment(world, client_for):
    due = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    response = client_for(world.teacher).post(
        reverse("homework-list"),
        {
            "school_class": str(world.school_class.pk),
            "subject": str(world.subject.pk),
            "title": "Poem",
            "due_at": due.isoformat(),
            "late_policy": "per_day",
            "late_deduction_percent_per_day": "10",
            "attachments": [SimpleUploadedFile("brief.txt", b"Write 12 lines.")],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["title"], body["late_policy"], body["assigned_by"]["id"]) == (
        "Poem",
        "per_day",
        str(world.teacher.pk),
    )
    [attachment] = body["attachments"]
    assert (attachment["name"], attachment["size_bytes"], attachment["content_type"]) == (
        "brief.txt",
        15,
        "text/plain",
    )
    download = client_for(world.student).get(attachment["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"Write 12 lines."


@override_settings(HOMEWORK_MAX_ATTACHMENT_BYTES=100)
def test_too_large_or_wrong_type_files_get_a_clear_400(world, client_for):
    client = client_for(world.teacher)
    base = {
        "school_class": str(world.school_class.pk),
        "subject": str(world.subject.pk),
        "title": "Poem",
        "due_at": (timezone.now() + timedelta(days=1)).isoformat(),
    }
    too_big = client.post(
        reverse("homework-list"),
        {**base, "attachments": [SimpleUploadedFile("big.pdf", b"x" * 101)]},
        format="multipart",
    )
    assert too_big.status_code == 400
    assert too_big.json() == {
        "error": {
            "code": "file_too_large",
            "message": "big.pdf: 101 bytes is over the limit of 100.",
            "fields": {"attachments": ["big.pdf: 101 bytes is over the limit of 100."]},
        }
    }
    wrong_type = client.post(
        reverse("homework-list"),
        {**base, "attachments": [SimpleUploadedFile("run.exe", b"MZ")]},
        format="multipart",
    )
    assert wrong_type.status_code == 400
    assert wrong_type.json()["error"]["code"] == "file_type_not_allowed"
    assert Homework.objects.count() == 0


def test_homework_create_refuses_bad_input(world, other_world, client_for):
    client = client_for(world.teacher)
    bad_date = client.post(
        reverse("homework-list"),
        {
            "school_class": str(world.school_class.pk),
            "subject": str(world.subject.pk),
            "title": "x",
            "due_at": "26/11/2026",
        },
        format="json",
    )
    assert bad_date.status_code == 400
    assert list(bad_date.json()["error"]["fields"]) == ["due_at"]
    other_school = client.post(
        reverse("homework-list"),
        {
            "school_class": str(other_world.school_class.pk),
            "subject": str(world.subject.pk),
            "title": "x",
            "due_at": timezone.now().isoformat(),
        },
        format="json",
    )
    assert other_school.status_code == 400
    assert other_school.json()["error"]["fields"] == {"school_class": ["Not found."]}
    student = client_for(world.student).post(reverse("homework-list"), {}, format="json")
    assert student.status_code == 403


def test_submission_visible_before_and_after_sync_with_one_row(world, homework, client_for):
    client = client_for(world.student)
    submission_id = str(uuid.uuid4())
    response = client.post(
        submissions_url(homework),
        {"id": submission_id, "text": "My answers", "files": [SimpleUploadedFile("a.txt", b"42")]},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["id"], response.json()["status"]) == (submission_id, "on_time")
    assert Submission.objects.count() == 0  # only in the write buffer so far

    before = client.get(reverse("homework-submission", args=[homework.pk, submission_id]))
    assert (before.status_code, before.json()["text"]) == (200, "My answers")
    listed = client.get(submissions_url(homework)).json()
    assert [item["id"] for item in listed["results"]] == [submission_id]

    sync_all(trigger="test")
    assert Submission.objects.filter(pk=submission_id).count() == 1
    assert Submission.objects.count() == 1
    after = client.get(reverse("homework-submission", args=[homework.pk, submission_id]))
    assert after.json() == before.json()
    file = client.get(after.json()["files"][0]["download_url"])
    assert b"".join(file.streaming_content) == b"42"


def test_retried_submission_creates_nothing_new(world, homework, client_for):
    client = client_for(world.student)
    payload = {"id": str(uuid.uuid4()), "text": "once"}
    first = client.post(submissions_url(homework), payload, format="json")
    again = client.post(submissions_url(homework), payload, format="json")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    sync_all(trigger="test")
    assert Submission.objects.count() == 1
    other = client_for(world.students[1]).post(submissions_url(homework), payload, format="json")
    assert (other.status_code, other.json()["error"]["code"]) == (409, "id_taken")


def test_a_pending_client_id_is_taken_for_other_schools_and_other_homework(
    world, other_world, homework, client_for
):
    payload = {"id": str(uuid.uuid4()), "text": "mine"}
    first = client_for(world.student).post(submissions_url(homework), payload, format="json")
    assert first.status_code == 201
    # Still pending (no sync): another school's student, on their own homework.
    elsewhere = make_homework(other_world)
    other_school = client_for(other_world.student).post(
        submissions_url(elsewhere), {**payload, "text": "theirs"}, format="json"
    )
    # The same school, another homework, even by the same student.
    second_homework = make_homework(world, title="Second worksheet")
    other_homework = client_for(world.student).post(
        submissions_url(second_homework), {**payload, "text": "again"}, format="json"
    )
    assert (other_school.status_code, other_school.json()["error"]["code"]) == (409, "id_taken")
    assert (other_homework.status_code, other_homework.json()["error"]["code"]) == (
        409,
        "id_taken",
    )

    sync_all(trigger="test")
    stored = Submission.objects.get(pk=payload["id"])
    assert (stored.homework_id, stored.student_id, stored.text) == (
        homework.pk,
        world.student.pk,
        "mine",
    )
    assert Submission.objects.count() == 1
    mine = client_for(world.student).get(f"{submissions_url(homework)}{payload['id']}/")
    assert (mine.status_code, mine.json()["text"]) == (200, "mine")
    # Once stored, the database answers for it.
    late = client_for(other_world.student).post(
        submissions_url(elsewhere), {**payload, "text": "theirs"}, format="json"
    )
    assert (late.status_code, late.json()["error"]["code"]) == (409, "id_taken")


def test_each_role_sees_only_its_submissions(world, homework, client_for):
    for student in world.students:
        client_for(student).post(submissions_url(homework), {"text": "hi"}, format="json")

    def seen_by(user):
        response = client_for(user).get(submissions_url(homework))
        assert response.status_code == 200
        return sorted(item["student"]["id"] for item in response.json()["results"])

    assert seen_by(world.student) == [str(world.student.pk)]
    assert seen_by(world.guardian) == [str(world.student.pk)]
    everyone = sorted(str(student.pk) for student in world.students)
    assert seen_by(world.teacher) == everyone
    assert seen_by(world.admin) == everyone


def test_teacher_grades_and_student_and_guardian_see_the_result(world, homework, client_for):
    created = client_for(world.student).post(
        submissions_url(homework), {"text": "work"}, format="json"
    )
    submission_id = created.json()["id"]
    graded = client_for(world.teacher).post(
        reverse("homework-submission-grade", args=[homework.pk, submission_id]),
        {"score": "88.5", "feedback": "Nice"},
        format="json",
    )
    assert graded.status_code == 200, graded.json()
    for user in (world.student, world.guardian):
        body = client_for(user).get(
            reverse("homework-submission", args=[homework.pk, submission_id])
        )
        assert (body.json()["final_score"], body.json()["feedback"]) == ("88.50", "Nice")
    refused = client_for(world.student).post(
        reverse("homework-submission-grade", args=[homework.pk, submission_id]),
        {"score": "100"},
        format="json",
    )
    assert refused.status_code == 403


def test_other_school_cannot_read_or_change_anything(world, other_world, homework, client_for):
    created = client_for(world.student).post(
        submissions_url(homework), {"text": "mine"}, format="json"
    )
    submission_id = created.json()["id"]
    for outsider in (other_world.admin, other_world.teacher, other_world.student):
        client = client_for(outsider)
        assert client.get(reverse("homework-detail", args=[homework.pk])).status_code == 404
        assert client.get(submissions_url(homework)).status_code == 404
        assert (
            client.get(
                reverse("homework-submission", args=[homework.pk, submission_id])
            ).status_code
            == 404
        )
        assert client.get(reverse("homework-list")).json()["count"] == 0
    assert (
        client_for(other_world.teacher)
        .post(
            reverse("homework-submission-grade", args=[homework.pk, submission_id]),
            {"score": "1"},
            format="json",
        )
        .status_code
        == 404
    )
    assert (
        client_for(other_world.student)
        .post(submissions_url(homework), {"text": "x"}, format="json")
        .status_code
        == 404
    )
    assert (
        client_for(other_world.admin)
        .post(
            reverse("homework-extensions", args=[homework.pk]),
            {"student": str(world.student.pk), "due_at": timezone.now().isoformat()},
            format="json",
        )
        .status_code
        == 404
    )


def test_extension_for_a_student_not_in_the_class_is_refused(
    world, other_world, homework, client_for
):
    response = client_for(world.teacher).post(
        reverse("homework-extensions", args=[homework.pk]),
        {
            "student": str(other_world.student.pk),
            "due_at": (homework.due_at + timedelta(days=1)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"student": ["Not a student of this class."]}


def test_homework_list_query_count(world, client_for, django_assert_num_queries):
    for number in range(3):
        make_homework(world, title=f"Homework {number}")
    client = client_for(world.student)
    # page count, page rows (the visible classes are a subquery), attachments prefetch
    with django_assert_num_queries(3):
        response = client.get(reverse("homework-list"))
    assert response.json()["count"] == 3


def test_submission_list_query_count_before_and_after_sync(
    world, homework, client_for, django_assert_num_queries
):
    for student in world.students:
        client_for(student).post(submissions_url(homework), {"text": "hi"}, format="json")
    client = client_for(world.teacher)
    # homework, teaches check, submissions, prefetch of students for pending rows
    with django_assert_num_queries(4):
        pending = client.get(submissions_url(homework))
    assert pending.json()["count"] == 3
    sync_all(trigger="test")
    with django_assert_num_queries(3):
        synced = client.get(submissions_url(homework))
    assert synced.json()["results"] == pending.json()["results"]


def test_text_over_its_limit_is_a_400_naming_the_field_and_creates_nothing(world, client_for):
    from apps.homework.models import INSTRUCTIONS_MAX_LENGTH

    response = client_for(world.teacher).post(
        reverse("homework-list"),
        {
            "school_class": str(world.school_class.pk),
            "subject": str(world.subject.pk),
            "title": "Essay",
            "instructions": "a" * (INSTRUCTIONS_MAX_LENGTH + 1),
            "due_at": (timezone.now() + timedelta(days=1)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "instructions": [
            f"Ensure this field has no more than {INSTRUCTIONS_MAX_LENGTH} characters."
        ]
    }
    assert not Homework.objects.exists()
