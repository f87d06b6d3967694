"""The pages through Django's test client: who may see what, and bad input answered in the page."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from apps.attendance.models import Register
from apps.homework.models import Homework
from apps.homework.services import homework_create
from apps.users.tests.factories import ClassWorld

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> ClassWorld:
    return ClassWorld(students=3)


@pytest.fixture
def other_world() -> ClassWorld:
    return ClassWorld(students=1)


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_pages_ask_anonymous_visitors_to_log_in(client, world):
    for path in ("/teach/", "/my/", f"/boards/{world.school_class.pk}/"):
        response = client.get(path)
        assert (response.status_code, response["Location"]) == (
            302, f"/accounts/login/?next={path}",
        )  # fmt: skip


def test_the_start_page_sends_each_role_where_they_work(world):
    assert client_of(world.teacher).get("/")["Location"] == "/teach/"
    assert client_of(world.student).get("/")["Location"] == "/my/"
    assert client_of(world.guardian).get("/")["Location"] == "/my/"


def test_a_teacher_page_names_the_school_and_the_class(world):
    response = client_of(world.teacher).get("/teach/")
    html = response.content.decode()
    assert response.status_code == 200
    assert world.school.name in html
    assert f"Class {world.school_class.grade}-{world.school_class.section}" in html
    assert "Register not taken today." in html


def test_students_and_guardians_get_a_clear_403_on_teacher_pages(world):
    for user in (world.student, world.guardian):
        response = client_of(user).get(f"/teach/classes/{world.school_class.pk}/")
        assert response.status_code == 403
        assert "This page is not for your account" in response.content.decode()


def test_another_schools_class_and_homework_are_not_found(world, other_world):
    homework, _ = homework_create(
        assigned_by=other_world.teacher, school_class=other_world.school_class,
        subject=other_world.subject, title="Theirs", due_at=timezone.now() + timedelta(days=1),
    )  # fmt: skip
    teacher = client_of(world.teacher)
    for path in (
        f"/teach/classes/{other_world.school_class.pk}/",
        f"/teach/classes/{other_world.school_class.pk}/register/",
        f"/teach/homework/{homework.pk}/",
        f"/boards/{other_world.school_class.pk}/",
    ):
        response = teacher.get(path)
        assert response.status_code == 404, path
        assert "Theirs" not in response.content.decode()
    response = teacher.post(
        f"/teach/classes/{other_world.school_class.pk}/register/", {"period": 0}
    )
    assert response.status_code == 404
    assert not Register.objects.exists()


def test_a_register_with_an_unknown_code_is_refused_beside_the_student(world):
    data = {"period": "0"} | {f"code_{s.pk}": "present" for s in world.students}
    data[f"code_{world.students[1].pk}"] = "asleep"
    response = client_of(world.teacher).post(
        f"/teach/classes/{world.school_class.pk}/register/", data
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Select a valid choice. asleep is not one of the available choices." in html
    assert not Register.objects.exists()


def test_homework_with_a_bad_score_keeps_what_was_typed(world):
    response = client_of(world.teacher).post(
        f"/teach/classes/{world.school_class.pk}/homework/new/",
        {
            "title": "Kept title",
            "subject": str(world.subject.pk),
            "due_at": "2030-01-01T10:00",
            "max_score": "-5",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="Kept title"' in html
    assert 'id="id_max_score-error"' in html
    assert not Homework.objects.exists()


def test_a_student_cannot_grade(world):
    homework, _ = homework_create(
        assigned_by=world.teacher, school_class=world.school_class, subject=world.subject,
        title="Ours", due_at=timezone.now() + timedelta(days=1), max_score=Decimal(10),
    )  # fmt: skip
    response = client_of(world.student).post(f"/teach/homework/{homework.pk}/", {"score": "10"})
    assert response.status_code == 403


def test_a_guardian_is_refused_a_board_and_a_guardian_of_nobody_is_told_what_to_do(world):
    assert client_of(world.guardian).get(f"/boards/{world.school_class.pk}/").status_code == 403
    from apps.users.tests.factories import GuardianFactory

    lonely = GuardianFactory(school=world.school)
    response = client_of(lonely).get("/my/")
    assert response.status_code == 404
    assert "ask the school office to link one" in response.content.decode()


def test_pages_speak_french_when_chosen(world):
    client = client_of(world.teacher)
    client.post("/i18n/setlang/", {"language": "fr", "next": "/teach/"})
    html = client.get("/teach/").content.decode()
    assert '<html lang="fr">' in html
    assert "Mes classes" in html


def test_the_grading_page_opens_the_oldest_ungraded_work(world):
    from apps.homework.services import submission_create

    homework, _ = homework_create(
        assigned_by=world.teacher, school_class=world.school_class, subject=world.subject,
        title="Ours", due_at=timezone.now() + timedelta(days=1), max_score=Decimal(10),
    )  # fmt: skip
    submission_create(homework=homework, student=world.students[0], text="First in")
    submission_create(homework=homework, student=world.students[1], text="Second in")
    response = client_of(world.teacher).get(f"/teach/homework/{homework.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "2 submissions to grade." in html
    assert '<blockquote class="answer">First in</blockquote>' in html
