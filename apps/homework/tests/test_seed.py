"""seed_demo adds this app's demo data, and running it again adds nothing."""

import pytest

from apps.homework.models import Homework, HomeworkAttachment, Submission
from apps.users.demo import seed_demo

pytestmark = pytest.mark.django_db

MODELS = [Homework, HomeworkAttachment, Submission]


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_seed_is_idempotent():
    seed_demo(students=8, password="pw-12345!", progress=False)
    first = counts()
    seed_demo(students=8, password="pw-12345!", progress=False)
    assert counts() == first
    # 4 classes x 5 subjects x 2 pieces of homework; one attachment per class (mathematics)
    assert (first["Homework"], first["HomeworkAttachment"]) == (40, 4)
    assert 0 < first["Submission"] <= 40 * 2
