"""Homework admin pages show and open only the admin's own school."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

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
    client = Client()
    client.force_login(world.admin)
    opts = model._meta
    changelist = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert changelist.status_code == 200
    assert changelist.context["cl"].result_count == 1
    assert {obj.school_id for obj in changelist.context["cl"].result_list} == {world.school.pk}
    # The related filters offer only this school's classes, not the other's by name.
    assert str(other_world.school_class) not in changelist.content.decode()
    own = model.objects.get(school=world.school)
    foreign = model.objects.get(school=other_world.school)
    change = f"admin:{opts.app_label}_{opts.model_name}_change"
    assert client.get(reverse(change, args=[own.pk])).status_code == 200
    assert client.get(reverse(change, args=[foreign.pk])).status_code == 302  # "does not exist"


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
