"""Homework admin pages show and open only the admin's own school."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from apps.core.tests.admin_scoping import assert_admin_shows_only_own_school
from apps.homework.models import Extension, HomeworkAttachment, Submission
from apps.homework.services import submission_create, submission_grade
from apps.homework.tests.conftest import make_homework
from apps.writebuffer.sync import sync_all

pytestmark = pytest.mark.django_db


def populate(world):
    homework = make_homework(world, title=f"Homework of {world.school.name}")
    HomeworkAttachment.objects.create(
        school=world.school, homework=homework, file="x.txt", name="x.txt", size_bytes=1,
        content_type="text/plain",
    )  # fmt: skip
    Extension.objects.create(
        school=world.school, homework=homework, student=world.student, due_at=homework.due_at
    )
    submission, _ = submission_create(homework=homework, student=world.student, text="work")
    submission_grade(
        homework=homework, submission=submission, grader=world.teacher, score=Decimal(5)
    )
    return homework


@pytest.mark.parametrize("model", [Submission, Extension, HomeworkAttachment])
def test_admin_lists_and_opens_only_its_school(world, other_world, model):
    populate(world)
    populate(other_world)
    sync_all(trigger="test")
    assert_admin_shows_only_own_school(model, world, other_world)


def test_homework_admin_search_and_foreign_change_refused(world, other_world):
    own = populate(world)
    foreign = populate(other_world)
    client = Client()
    client.force_login(world.admin)
    url = reverse("admin:homework_homework_changelist")
    found = client.get(url, {"q": "Homework of"})
    assert [h.pk for h in found.context["cl"].result_list] == [own.pk]
    change = reverse("admin:homework_homework_change", args=[foreign.pk])
    response = client.post(change, {"title": "hijacked"})
    assert response.status_code == 302
    foreign.refresh_from_db()
    assert foreign.title == f"Homework of {other_world.school.name}"
