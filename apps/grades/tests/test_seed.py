"""seed_demo adds this app's demo data, and running it again adds nothing."""

import pytest

from apps.grades.models import Assessment, GradeBand, GradeMark, GradingScale, Term
from apps.users.demo import seed_demo

pytestmark = pytest.mark.django_db

MODELS = [Term, GradingScale, GradeBand, Assessment, GradeMark]


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_seed_is_idempotent():
    seed_demo(students=8, password="pw-12345!", progress=False)
    first = counts()
    seed_demo(students=8, password="pw-12345!", progress=False)
    assert counts() == first
    # one term and A-F scale; 4 classes x 5 subjects x 4 assessments; 2 students in each class
    assert first == {
        "Term": 1,
        "GradingScale": 1,
        "GradeBand": 6,
        "Assessment": 80,
        "GradeMark": 160,
    }
