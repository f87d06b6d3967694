"""Grades admin pages show and open only the admin's own school."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.core.tests.admin_scoping import assert_admin_shows_only_own_school
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
    assert_admin_shows_only_own_school(model, world, other_world)
