"""The demo school: people and classes. Domain apps add their part through ``seed.py`` modules.

Idempotent: every object is looked up by a natural key before it is created, so running the
command again changes nothing and creates no duplicates.
"""

from __future__ import annotations

import importlib
import random
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction
from tqdm import tqdm

from apps.users.models import (
    Enrolment,
    GuardianLink,
    Role,
    School,
    SchoolClass,
    Subject,
    TeacherAssignment,
    User,
)

ACADEMIC_YEAR = "2026-27"
SUBJECTS = [
    ("Mathematics", "MATH"),
    ("English", "ENG"),
    ("Science", "SCI"),
    ("History", "HIST"),
    ("Geography", "GEO"),
]
FIRST_NAMES = [
    "Aarav", "Ananya", "Ben", "Chloe", "Daniel", "Emma", "Farah", "George", "Hana", "Isaac",
    "Jiya", "Kabir", "Lena", "Mateo", "Nora", "Omar", "Priya", "Quinn", "Rohan", "Sara",
    "Tariq", "Uma", "Victor", "Wen", "Yusuf", "Zoe",
]  # fmt: skip
LAST_NAMES = [
    "Sharma", "Smith", "Khan", "Garcia", "Okafor", "Chen", "Müller", "Silva", "Patel", "Nguyen",
    "Kowalski", "Haddad", "Rossi", "Tanaka", "Johnson", "Mensah",
]  # fmt: skip
# Other apps' demo data, in order; each module has seed(context).
DOMAIN_SEEDS = [
    "apps.homework.seed",
    "apps.attendance.seed",
    "apps.grades.seed",
    "apps.notifications.seed",
    "apps.quizzes.seed",
    "apps.analytics.seed",
]


@dataclass
class DemoContext:
    school: School
    password_hash: str
    classes: list[SchoolClass] = field(default_factory=list)
    subjects: list[Subject] = field(default_factory=list)
    teachers: list[User] = field(default_factory=list)
    students: list[User] = field(default_factory=list)
    guardians: list[User] = field(default_factory=list)
    rng: random.Random = field(default_factory=lambda: random.Random(24))
    logins: list[tuple[str, str]] = field(default_factory=list)


def _user(context: DemoContext, username: str, role: str, **extra) -> User:
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "school": context.school,
            "role": role,
            "password": context.password_hash,
            "is_staff": role == Role.SCHOOL_ADMIN,
            **extra,
        },
    )
    return user


def seed_demo(*, students: int, password: str, progress: bool = True) -> DemoContext:
    school, _ = School.objects.get_or_create(
        slug="greenwood", defaults={"name": "Greenwood High School", "timezone": "Europe/London"}
    )
    # One hash for every demo account: hashing per user would take minutes for a large school.
    context = DemoContext(school=school, password_hash=make_password(password))
    rng = context.rng

    with transaction.atomic():
        admin = _user(context, "admin", Role.SCHOOL_ADMIN, first_name="Alex", last_name="Admin")
        if not admin.is_superuser:
            admin.is_superuser = True  # the demo's operator too, so every admin page shows
            admin.save(update_fields=["is_superuser"])
        context.logins.append(("admin", "school admin and operator (superuser)"))

        for name, code in SUBJECTS:
            subject, _ = Subject.objects.get_or_create(
                school=school, code=code, defaults={"name": name}
            )
            context.subjects.append(subject)

        for number in range(1, len(SUBJECTS) + 2):
            context.teachers.append(
                _user(
                    context,
                    f"teacher{number}",
                    Role.TEACHER,
                    first_name=rng.choice(FIRST_NAMES),
                    last_name=rng.choice(LAST_NAMES),
                )
            )
        context.logins.append(("teacher1", "teacher (class teacher of 10-A)"))

        for grade, section in [(10, "A"), (10, "B"), (9, "A"), (9, "B")]:
            school_class, _ = SchoolClass.objects.get_or_create(
                school=school,
                academic_year=ACADEMIC_YEAR,
                grade=grade,
                section=section,
                defaults={"class_teacher": context.teachers[len(context.classes)]},
            )
            context.classes.append(school_class)
            for index, subject in enumerate(context.subjects):
                TeacherAssignment.objects.get_or_create(
                    school=school,
                    teacher=context.teachers[index],
                    school_class=school_class,
                    subject=subject,
                )

    iterator = range(1, students + 1)
    for number in tqdm(
        iterator, desc="students and guardians", disable=not progress, unit="student"
    ):
        with transaction.atomic():
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            student = _user(
                context, f"student{number}", Role.STUDENT, first_name=first, last_name=last
            )
            school_class = context.classes[(number - 1) % len(context.classes)]
            Enrolment.objects.get_or_create(
                school=school,
                student=student,
                school_class=school_class,
                defaults={"roll_number": (number - 1) // len(context.classes) + 1},
            )
            guardian = _user(
                context, f"parent{number}", Role.GUARDIAN, first_name=rng.choice(FIRST_NAMES),
                last_name=last,
            )  # fmt: skip
            GuardianLink.objects.get_or_create(
                school=school, guardian=guardian, student=student,
                defaults={"relationship": "parent"},
            )  # fmt: skip
            context.students.append(student)
            context.guardians.append(guardian)
    context.logins.append(("student1", "student in 10-A"))
    context.logins.append(("parent1", "guardian of student1"))

    for module_name in DOMAIN_SEEDS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise  # the module exists but something it imports does not
            continue
        module.seed(context, progress=progress)
    return context
