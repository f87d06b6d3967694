"""Grades admin pages show and open only the admin's own school."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.grades.models import Assessment, GradeBand, GradeMark, GradingScale, Term
from apps.grades.services import ScoreInput, assessment_create, grade_marks_set
from apps.writebuffer.sync import sync_all

pytestmark = pytest.mark.django_db


def populate(world):
    today = timezone.localdate()
    term = Term.objects.create(
        school=world.school, name="Term 1", academic_year="2026-27",
        starts_on=today - timedelta(days=10), ends_on=today + timedelta(days=10),
    )  # fmt: skip
    scale = GradingScale.objects.create(school=world.school, name="A-F", is_default=True)
    GradeBand.objects.create(school=world.school, scale=scale, letter="A", min_percent=90)
    assessment, _ = assessment_create(
        created_by=world.teacher, school_class=world.school_class, subject=world.subject,
        term=term, kind="quiz", title=f"Quiz of {world.school.name}", on=today,
    )  # fmt: skip
    grade_marks_set(
        assessment=assessment,
        marks=[ScoreInput(student_id=world.student.pk, score=Decimal(70))],
        marked_by=world.teacher,
    )


@pytest.mark.parametrize("model", [Term, GradingScale, GradeBand, Assessment, GradeMark])
def test_admin_lists_and_opens_only_its_school(world, other_world, model):
    populate(world)
    populate(other_world)
    sync_all(trigger="test")
    client = Client()
    client.force_login(world.admin)
    opts = model._meta
    changelist = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert changelist.status_code == 200
    assert [obj.school_id for obj in changelist.context["cl"].result_list] == [world.school.pk]
    assert str(other_world.school_class) not in changelist.content.decode()
    own = model.objects.get(school=world.school)
    foreign = model.objects.get(school=other_world.school)
    change = f"admin:{opts.app_label}_{opts.model_name}_change"
    assert client.get(reverse(change, args=[own.pk])).status_code == 200
    assert client.get(reverse(change, args=[foreign.pk])).status_code == 302
