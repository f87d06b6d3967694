"""factory_boy factories for schools, people and class membership; shared by every app's tests.

Every user's password is ``PASSWORD``. School-owned factories keep all their related objects in one
school: pass ``school=`` (everything is created there) or a related object such as ``school_class=``
or ``student=`` (the school is taken from it).
"""

from typing import TypeVar

import factory
from factory.django import DjangoModelFactory

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

PASSWORD = "pw-12345!"


class SchoolFactory(DjangoModelFactory[School]):
    class Meta:
        model = School
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"School {n}")
    slug = factory.Sequence(lambda n: f"school-{n}")
    timezone = "Asia/Kolkata"


class UserFactory(DjangoModelFactory[User]):
    """A student by default; use the traits (``UserFactory(teacher=True)``) or the subclasses."""

    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    class Params:
        school_admin = factory.Trait(role=Role.SCHOOL_ADMIN, is_staff=True)
        teacher = factory.Trait(role=Role.TEACHER)
        student = factory.Trait(role=Role.STUDENT)
        guardian = factory.Trait(role=Role.GUARDIAN)
        superuser = factory.Trait(school=None, role="", is_staff=True, is_superuser=True)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password(PASSWORD)
    school = factory.SubFactory(SchoolFactory)
    role = Role.STUDENT


class SchoolAdminFactory(UserFactory):
    username = factory.Sequence(lambda n: f"admin{n}")
    role = Role.SCHOOL_ADMIN
    is_staff = True


class TeacherFactory(UserFactory):
    username = factory.Sequence(lambda n: f"teacher{n}")
    role = Role.TEACHER


class StudentFactory(UserFactory):
    username = factory.Sequence(lambda n: f"student{n}")
    role = Role.STUDENT


class GuardianFactory(UserFactory):
    username = factory.Sequence(lambda n: f"guardian{n}")
    role = Role.GUARDIAN


class SuperuserFactory(UserFactory):
    username = factory.Sequence(lambda n: f"operator{n}")
    # factory_boy declarations, not the model's attributes: an operator has no school nor role.
    school = None  # type: ignore[assignment]
    role = ""  # type: ignore[assignment]
    is_staff = True
    is_superuser = True


T = TypeVar("T")


class SchoolOwnedFactory(DjangoModelFactory[T]):
    """Base for factories of ``SchoolOwned`` models.

    ``_school_sources`` names the related objects a caller may pass instead of ``school``; the first
    one given decides the school, so ``EnrolmentFactory(school_class=c)`` enrols a new student of
    ``c``'s school rather than of a fresh one.
    """

    class Meta:
        abstract = True

    _school_sources: tuple[str, ...] = ()

    school = factory.SubFactory(SchoolFactory)

    @classmethod
    def _generate(cls, strategy, params):
        if "school" not in params:
            for source in cls._school_sources:
                related = params.get(source)
                if related is not None:
                    params = {**params, "school": related.school}
                    break
        return super()._generate(strategy, params)


class SchoolClassFactory(SchoolOwnedFactory[SchoolClass]):
    class Meta:
        model = SchoolClass

    _school_sources = ("class_teacher",)

    # (grade, section) pairs never repeat within a run, so the unique_class constraint holds.
    grade = factory.Sequence(lambda n: n % 12 + 1)
    section = factory.Sequence(lambda n: f"{chr(ord('A') + n % 26)}{n // 26 or ''}")
    academic_year = "2026-27"
    class_teacher = None


class SubjectFactory(SchoolOwnedFactory[Subject]):
    class Meta:
        model = Subject

    name = factory.Sequence(lambda n: f"Subject {n}")
    code = factory.Sequence(lambda n: f"SUB{n}")


class EnrolmentFactory(SchoolOwnedFactory[Enrolment]):
    class Meta:
        model = Enrolment

    _school_sources = ("school_class", "student")

    school_class = factory.SubFactory(SchoolClassFactory, school=factory.SelfAttribute("..school"))
    student = factory.SubFactory(StudentFactory, school=factory.SelfAttribute("..school"))
    roll_number = factory.Sequence(lambda n: n + 1)


class TeacherAssignmentFactory(SchoolOwnedFactory[TeacherAssignment]):
    class Meta:
        model = TeacherAssignment

    _school_sources = ("school_class", "teacher", "subject")

    teacher = factory.SubFactory(TeacherFactory, school=factory.SelfAttribute("..school"))
    school_class = factory.SubFactory(SchoolClassFactory, school=factory.SelfAttribute("..school"))
    subject = factory.SubFactory(SubjectFactory, school=factory.SelfAttribute("..school"))


class GuardianLinkFactory(SchoolOwnedFactory[GuardianLink]):
    class Meta:
        model = GuardianLink

    _school_sources = ("student", "guardian")

    guardian = factory.SubFactory(GuardianFactory, school=factory.SelfAttribute("..school"))
    student = factory.SubFactory(StudentFactory, school=factory.SelfAttribute("..school"))
    relationship = "parent"


class ClassWorld:
    """A class with its people, for domain tests: one teacher of one subject (also the class
    teacher), ``students`` enrolled students, a guardian of the first student and a school admin.
    """

    def __init__(self, *, school: School | None = None, students: int = 3) -> None:
        self.school = school or SchoolFactory()
        self.subject = SubjectFactory(school=self.school)
        self.teacher = TeacherFactory(school=self.school)
        self.school_class = SchoolClassFactory(school=self.school, class_teacher=self.teacher)
        TeacherAssignmentFactory(
            teacher=self.teacher, school_class=self.school_class, subject=self.subject
        )
        self.students = [
            EnrolmentFactory(school_class=self.school_class, roll_number=number).student
            for number in range(1, students + 1)
        ]
        self.student = self.students[0] if self.students else None
        self.guardian = GuardianLinkFactory(student=self.student).guardian if self.student else None
        self.admin = SchoolAdminFactory(school=self.school)
