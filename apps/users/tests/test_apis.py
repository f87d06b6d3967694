"""The directory API: classes, a class with its teaching, class lists, subjects and ``/me/``,
per role and per school, with the queries each costs."""

import uuid

import pytest

from apps.users.tests.factories import (
    ClassWorld,
    EnrolmentFactory,
    GuardianLinkFactory,
    SchoolClassFactory,
    SubjectFactory,
    SuperuserFactory,
    TeacherAssignmentFactory,
    TeacherFactory,
)

pytestmark = pytest.mark.django_db


class TwoClassWorld(ClassWorld):
    """Two classes in one school: ``school_class`` (taught by ``teacher``, attended by
    ``students``) and ``other_class`` with another teacher and subject."""

    def __init__(self) -> None:
        super().__init__(students=3)
        self.other_subject = SubjectFactory(school=self.school, name="Zoology")
        self.other_teacher = TeacherFactory(school=self.school)
        self.other_class = SchoolClassFactory(school=self.school)
        TeacherAssignmentFactory(
            teacher=self.other_teacher, school_class=self.other_class, subject=self.other_subject
        )
        self.other_student = EnrolmentFactory(school_class=self.other_class).student


@pytest.fixture
def world() -> TwoClassWorld:
    return TwoClassWorld()


@pytest.fixture
def elsewhere() -> ClassWorld:
    return ClassWorld(students=2)


def ids(response) -> list[str]:
    return [item["id"] for item in response.json()["results"]]


def test_classes_per_role(world, elsewhere, jwt_client):
    mine, other = str(world.school_class.id), str(world.other_class.id)
    assert ids(jwt_client(world.teacher).get("/api/v1/classes/")) == [mine]
    assert ids(jwt_client(world.student).get("/api/v1/classes/")) == [mine]
    assert ids(jwt_client(world.guardian).get("/api/v1/classes/")) == [mine]
    assert ids(jwt_client(world.other_teacher).get("/api/v1/classes/")) == [other]
    admin_ids = ids(jwt_client(world.admin).get("/api/v1/classes/"))
    assert sorted(admin_ids) == sorted([mine, other])
    # An operator sees every school's classes.
    assert len(ids(jwt_client(SuperuserFactory()).get("/api/v1/classes/"))) == 3


def test_class_list_item_shape(world, jwt_client):
    response = jwt_client(world.teacher).get("/api/v1/classes/")
    assert response.status_code == 200
    school_class = world.school_class
    assert response.json()["results"][0] == {
        "id": str(school_class.id),
        "name": str(school_class),
        "grade": school_class.grade,
        "section": school_class.section,
        "academic_year": school_class.academic_year,
        "class_teacher": {
            "id": str(world.teacher.id),
            "username": world.teacher.username,
            "full_name": world.teacher.get_full_name(),
        },
    }


def test_class_detail_lists_subjects_and_teachers(world, jwt_client):
    response = jwt_client(world.student).get(f"/api/v1/classes/{world.school_class.id}/")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(world.school_class.id)
    assert body["student_count"] == 3
    assert body["teaching"] == [
        {
            "subject": {
                "id": str(world.subject.id),
                "name": world.subject.name,
                "code": world.subject.code,
            },
            "teacher": {
                "id": str(world.teacher.id),
                "username": world.teacher.username,
                "full_name": world.teacher.get_full_name(),
            },
        }
    ]


@pytest.mark.parametrize("who", ["teacher", "student", "guardian"])
def test_a_class_the_caller_has_nothing_to_do_with_is_a_404(world, who, jwt_client):
    client = jwt_client(getattr(world, who))
    for path in (
        f"/api/v1/classes/{world.other_class.id}/",
        f"/api/v1/classes/{world.other_class.id}/students/",
    ):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_another_schools_class_is_a_404_even_for_an_admin(world, elsewhere, jwt_client):
    client = jwt_client(world.admin)
    for path in (
        f"/api/v1/classes/{elsewhere.school_class.id}/",
        f"/api/v1/classes/{elsewhere.school_class.id}/students/",
        f"/api/v1/classes/{uuid.uuid4()}/",
    ):
        assert client.get(path).status_code == 404


def test_class_list_of_students_for_teachers_and_admins(world, jwt_client):
    path = f"/api/v1/classes/{world.school_class.id}/students/"
    expected = [
        {
            "id": str(student.id),
            "username": student.username,
            "full_name": student.get_full_name(),
            "roll_number": number,
        }
        for number, student in enumerate(world.students, start=1)
    ]
    for user in (world.teacher, world.admin):
        response = jwt_client(user).get(path)
        assert response.status_code == 200
        assert response.json()["results"] == expected
    for user in (world.student, world.guardian):
        response = jwt_client(user).get(path)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"


def test_subjects_per_role(world, elsewhere, jwt_client):
    mine, other = str(world.subject.id), str(world.other_subject.id)
    assert ids(jwt_client(world.teacher).get("/api/v1/subjects/")) == [mine]
    assert ids(jwt_client(world.student).get("/api/v1/subjects/")) == [mine]
    assert ids(jwt_client(world.guardian).get("/api/v1/subjects/")) == [mine]
    assert ids(jwt_client(world.other_student).get("/api/v1/subjects/")) == [other]
    assert sorted(ids(jwt_client(world.admin).get("/api/v1/subjects/"))) == sorted([mine, other])


def test_me_lists_a_teachers_classes(world, jwt_client):
    body = jwt_client(world.teacher).get("/api/v1/me/").json()
    assert body["role"] == "teacher"
    assert body["school"]["id"] == str(world.school.id)
    assert [c["id"] for c in body["classes"]] == [str(world.school_class.id)]
    assert body["children"] == []


def test_me_lists_a_students_classes(world, jwt_client):
    body = jwt_client(world.student).get("/api/v1/me/").json()
    assert [c["id"] for c in body["classes"]] == [str(world.school_class.id)]


def test_me_lists_a_guardians_children_with_their_classes(world, jwt_client):
    second_child = world.other_student
    GuardianLinkFactory(guardian=world.guardian, student=second_child, relationship="aunt")
    body = jwt_client(world.guardian).get("/api/v1/me/").json()
    assert body["classes"] == []
    children = {child["id"]: child for child in body["children"]}
    assert set(children) == {str(world.student.id), str(second_child.id)}
    assert children[str(second_child.id)]["relationship"] == "aunt"
    assert [c["id"] for c in children[str(second_child.id)]["classes"]] == [
        str(world.other_class.id)
    ]
    assert [c["id"] for c in children[str(world.student.id)]["classes"]] == [
        str(world.school_class.id)
    ]


def test_directory_needs_a_login(api_client):
    for path in ("/api/v1/classes/", "/api/v1/subjects/", "/api/v1/me/"):
        response = api_client.get(path)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"


def test_directory_query_counts(world, jwt_client, django_assert_num_queries):
    # More classes and children must not add queries (no N+1).
    for _ in range(3):
        extra = SchoolClassFactory(school=world.school, class_teacher=world.teacher)
        EnrolmentFactory(school_class=extra, student=world.student)
        GuardianLinkFactory(
            guardian=world.guardian, student=EnrolmentFactory(school_class=extra).student
        )
    teacher, admin, guardian = (
        jwt_client(world.teacher),
        jwt_client(world.admin),
        jwt_client(world.guardian),
    )
    # The callers are then in the read cache (apps/users/user_cache.py): no query loads them.
    for client in (teacher, admin, guardian):
        assert client.get("/api/v1/me/").status_code == 200
    with django_assert_num_queries(2):  # count, page with class teachers joined
        assert len(ids(teacher.get("/api/v1/classes/"))) == 4
    with django_assert_num_queries(3):  # class, count, teaching with people and subjects
        teacher.get(f"/api/v1/classes/{world.school_class.id}/")
    with django_assert_num_queries(3):  # class, count, page with students joined
        admin.get(f"/api/v1/classes/{world.school_class.id}/students/")
    with django_assert_num_queries(2):  # count, page
        admin.get("/api/v1/subjects/")
    with django_assert_num_queries(2):  # the user with the school, classes with teachers
        teacher.get("/api/v1/me/")
    with django_assert_num_queries(3):  # the user, links with children, their enrolments
        assert len(guardian.get("/api/v1/me/").json()["children"]) == 4
