"""Tenant isolation: one school's people never see or change another school's data.

Covers the API (``/api/v1/me/``), every admin page of every registered model, the admin's
foreign-key choice lists and save path, and the scoping helpers (``apps.core.tenancy``) and
selectors the API and websockets build on.
"""

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.core.tenancy import check_same_school, school_filter_for
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
from apps.users.selectors import classes_visible_to, students_visible_to, teaches
from apps.users.tests.factories import (
    EnrolmentFactory,
    GuardianFactory,
    GuardianLinkFactory,
    SchoolAdminFactory,
    SchoolClassFactory,
    SchoolFactory,
    StudentFactory,
    SubjectFactory,
    SuperuserFactory,
    TeacherAssignmentFactory,
    TeacherFactory,
    UserFactory,
)
from apps.writebuffer.connection import global_key
from apps.writebuffer.models import CompressionDictionary, SyncRun

pytestmark = pytest.mark.django_db


@dataclass
class SchoolWorld:
    """One school with one of everything, linked the way the demo school is."""

    school: School
    admin: User
    teacher: User
    student: User
    guardian: User
    school_class: SchoolClass
    subject: Subject
    enrolment: Enrolment
    assignment: TeacherAssignment
    link: GuardianLink

    @property
    def users(self) -> set[User]:
        return {self.admin, self.teacher, self.student, self.guardian}


def build_school(slug: str) -> SchoolWorld:
    school = SchoolFactory.create(slug=slug, name=f"School {slug}")
    admin = SchoolAdminFactory.create(school=school, username=f"{slug}-admin")
    teacher = TeacherFactory.create(school=school, username=f"{slug}-teacher")
    student = StudentFactory.create(school=school, username=f"{slug}-student")
    guardian = GuardianFactory.create(school=school, username=f"{slug}-guardian")
    school_class = SchoolClassFactory.create(school=school)
    subject = SubjectFactory.create(school=school)
    return SchoolWorld(
        school=school,
        admin=admin,
        teacher=teacher,
        student=student,
        guardian=guardian,
        school_class=school_class,
        subject=subject,
        enrolment=EnrolmentFactory.create(student=student, school_class=school_class),
        assignment=TeacherAssignmentFactory.create(
            teacher=teacher, school_class=school_class, subject=subject
        ),
        link=GuardianLinkFactory.create(guardian=guardian, student=student),
    )


@pytest.fixture
def a() -> SchoolWorld:
    return build_school("alpha")


@pytest.fixture
def b() -> SchoolWorld:
    return build_school("beta")


@pytest.fixture
def operator() -> User:
    return SuperuserFactory.create(username="root")


# (model, attribute of SchoolWorld holding that school's instance)
SCHOOL_MODELS = [
    (School, "school"),
    (User, "student"),
    (SchoolClass, "school_class"),
    (Subject, "subject"),
    (Enrolment, "enrolment"),
    (TeacherAssignment, "assignment"),
    (GuardianLink, "link"),
]
SCHOOL_MODEL_IDS = [model.__name__ for model, _ in SCHOOL_MODELS]


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def expected_rows(world: SchoolWorld, model) -> set:
    if model is School:
        return {world.school.pk}
    if model is User:
        return {user.pk for user in world.users}
    return set(model.objects.filter(school=world.school).values_list("pk", flat=True))


def changelist_pks(response) -> set:
    return {obj.pk for obj in response.context["cl"].result_list}


def form_of(response):
    return response.context["adminform"].form


class TestMeApi:
    def test_each_caller_sees_only_themselves(self, jwt_client, a, b):
        for user in [a.admin, a.teacher, a.student, a.guardian, b.admin]:
            body = jwt_client(user).get("/api/v1/me/", {"id": str(b.student.pk)}).json()
            assert (body["id"], body["school"]["id"]) == (str(user.pk), str(user.school.pk))


class TestSchoolAdminReadsOnlyTheirSchool:
    @pytest.fixture(autouse=True)
    def logged_in(self, client, a, b):
        client.force_login(a.admin)

    @pytest.mark.parametrize(("model", "attribute"), SCHOOL_MODELS, ids=SCHOOL_MODEL_IDS)
    def test_changelist_lists_own_school_only(self, client, a, b, model, attribute):
        response = client.get(admin_url(model, "changelist"))

        assert response.status_code == 200
        assert changelist_pks(response) == expected_rows(a, model)

    @pytest.mark.parametrize(("model", "attribute"), SCHOOL_MODELS, ids=SCHOOL_MODEL_IDS)
    def test_changelist_search_does_not_reach_other_school(self, client, a, b, model, attribute):
        response = client.get(admin_url(model, "changelist"), {"q": "beta"})

        assert response.status_code == 200
        assert changelist_pks(response) & expected_rows(b, model) == set()

    @pytest.mark.parametrize(("model", "attribute"), SCHOOL_MODELS, ids=SCHOOL_MODEL_IDS)
    def test_own_objects_change_page_opens(self, client, a, b, model, attribute):
        response = client.get(admin_url(model, "change", getattr(a, attribute).pk))

        assert response.status_code == 200

    @pytest.mark.parametrize(("model", "attribute"), SCHOOL_MODELS, ids=SCHOOL_MODEL_IDS)
    @pytest.mark.parametrize("view", ["change", "delete", "history"])
    def test_other_schools_object_pages_say_it_does_not_exist(
        self, client, a, b, model, attribute, view
    ):
        response = client.get(admin_url(model, view, getattr(b, attribute).pk))

        if model is School and view == "delete":
            assert response.status_code == 403  # no school admin may delete any school
        else:
            assert response.status_code == 302
            assert response["Location"] == reverse("admin:index")

    def test_other_schools_user_password_page_is_404(self, client, a, b):
        response = client.get(reverse("admin:auth_user_password_change", args=[b.teacher.pk]))

        assert response.status_code == 404

    def test_changelist_filters_offer_only_own_schools_choices(self, client, a, b):
        # A filter with one choice is not shown at all, so give school A a second class.
        second_class = SchoolClassFactory(school=a.school)
        EnrolmentFactory(school_class=second_class)
        TeacherAssignmentFactory(
            teacher=a.teacher, school_class=second_class, subject=SubjectFactory(school=a.school)
        )
        for model in [Enrolment, TeacherAssignment]:
            response = client.get(admin_url(model, "changelist"))
            offered = {
                str(pk)
                for spec in response.context["cl"].filter_specs
                for pk, _label in getattr(spec, "lookup_choices", [])
            }
            assert str(b.school_class.pk) not in offered
            assert str(b.subject.pk) not in offered
            assert {str(a.school_class.pk), str(second_class.pk)} <= offered
            assert b"School beta" not in response.content

    def test_school_admin_sees_no_school_filter(self, client, a, b):
        response = client.get(admin_url(SchoolClass, "changelist"))

        titles = [spec.title for spec in response.context["cl"].filter_specs]
        assert titles == ["academic year", "grade"]


class TestSchoolAdminAddForms:
    @pytest.fixture(autouse=True)
    def logged_in(self, client, a, b):
        client.force_login(a.admin)

    @pytest.mark.parametrize(
        ("model", "field_choices"),
        [
            (SchoolClass, {"class_teacher": "users"}),
            (Enrolment, {"student": "users", "school_class": "classes"}),
            (
                TeacherAssignment,
                {"teacher": "users", "school_class": "classes", "subject": "subjects"},
            ),
            (GuardianLink, {"guardian": "users", "student": "users"}),
        ],
        ids=["SchoolClass", "Enrolment", "TeacherAssignment", "GuardianLink"],
    )
    def test_choice_lists_offer_only_own_school(self, client, a, b, model, field_choices):
        response = client.get(admin_url(model, "add"))
        form = form_of(response)
        own = {
            "users": {user.pk for user in a.users},
            "classes": {a.school_class.pk},
            "subjects": {a.subject.pk},
        }

        assert response.status_code == 200
        assert "school" not in form.fields
        for field_name, kind in field_choices.items():
            assert set(form.fields[field_name].queryset.values_list("pk", flat=True)) == own[kind]

    @pytest.mark.parametrize("model", [Subject, User])
    def test_add_form_has_no_school_field(self, client, model):
        response = client.get(admin_url(model, "add"))

        assert response.status_code == 200
        assert "school" not in form_of(response).fields

    def test_cannot_add_schools(self, client):
        assert client.get(admin_url(School, "add")).status_code == 403

    def test_cannot_delete_own_school(self, client, a):
        assert client.get(admin_url(School, "delete", a.school.pk)).status_code == 403
        assert (
            client.post(admin_url(School, "delete", a.school.pk), {"post": "yes"}).status_code
            == 403
        )
        assert School.objects.filter(pk=a.school.pk).exists()


class TestSchoolAdminSavePath:
    @pytest.fixture(autouse=True)
    def logged_in(self, client, a, b):
        client.force_login(a.admin)

    def test_posted_school_id_is_ignored_on_add(self, client, a, b):
        response = client.post(
            admin_url(Subject, "add"), {"name": "Latin", "code": "LAT", "school": str(b.school.pk)}
        )

        assert response.status_code == 302
        subject = Subject.objects.get(code="LAT")
        assert subject.school_id == a.school.pk

    def test_new_user_is_put_in_own_school_and_cannot_be_an_operator(self, client, a, b):
        response = client.post(
            admin_url(User, "add"),
            {
                "username": "newteacher",
                "role": Role.TEACHER,
                "password1": "a-Long-pass-2026",
                "password2": "a-Long-pass-2026",
                "school": str(b.school.pk),
                "is_superuser": "on",
            },
        )

        assert response.status_code == 302
        user = User.objects.get(username="newteacher")
        assert (user.school_id, user.role, user.is_superuser, user.is_staff) == (
            a.school.pk,
            Role.TEACHER,
            False,
            False,
        )

    def test_editing_a_user_cannot_move_them_or_make_them_an_operator(self, client, a, b):
        response = client.post(
            admin_url(User, "change", a.teacher.pk),
            {
                "username": a.teacher.username,
                "first_name": "Moved",
                "last_name": "",
                "email": "",
                "role": Role.SCHOOL_ADMIN,
                "is_active": "on",
                "school": str(b.school.pk),
                "is_superuser": "on",
            },
        )

        assert response.status_code == 302
        a.teacher.refresh_from_db()
        assert (
            a.teacher.first_name,
            a.teacher.school_id,
            a.teacher.role,
            a.teacher.is_superuser,
            a.teacher.is_staff,
        ) == ("Moved", a.school.pk, Role.SCHOOL_ADMIN, False, True)

    @pytest.mark.parametrize(
        ("model", "data"),
        [
            (Enrolment, lambda a, b: {"student": a.student.pk, "school_class": b.school_class.pk}),
            (Enrolment, lambda a, b: {"student": b.student.pk, "school_class": a.school_class.pk}),
            (
                TeacherAssignment,
                lambda a, b: {
                    "teacher": a.teacher.pk,
                    "school_class": a.school_class.pk,
                    "subject": b.subject.pk,
                },
            ),
            (GuardianLink, lambda a, b: {"guardian": a.guardian.pk, "student": b.student.pk}),
            (
                SchoolClass,
                lambda a, b: {
                    "grade": 3,
                    "section": "Z",
                    "academic_year": "2026-27",
                    "class_teacher": b.teacher.pk,
                },
            ),
        ],
        ids=["enrol-in-other-class", "enrol-other-student", "assign-other-subject",
             "link-other-student", "other-class-teacher"],
    )  # fmt: skip
    def test_add_linking_another_schools_object_is_refused(self, client, a, b, model, data):
        before = model.objects.count()

        response = client.post(admin_url(model, "add"), {"relationship": "parent", **data(a, b)})

        assert response.status_code == 200  # the form again, with errors
        assert form_of(response).errors
        assert model.objects.count() == before

    def test_change_linking_another_schools_class_is_refused(self, client, a, b):
        response = client.post(
            admin_url(Enrolment, "change", a.enrolment.pk),
            {"student": a.student.pk, "school_class": b.school_class.pk, "roll_number": 1},
        )

        assert response.status_code == 200
        assert list(form_of(response).errors) == ["school_class"]
        a.enrolment.refresh_from_db()
        assert a.enrolment.school_class_id == a.school_class.pk

    @pytest.mark.parametrize(("model", "attribute"), SCHOOL_MODELS, ids=SCHOOL_MODEL_IDS)
    def test_posting_to_another_schools_change_page_changes_nothing(
        self, client, a, b, model, attribute
    ):
        target = getattr(b, attribute)
        before = {
            field.attname: getattr(target, field.attname) for field in model._meta.concrete_fields
        }

        response = client.post(admin_url(model, "change", target.pk), {"name": "Hijacked"})

        assert response.status_code == 302
        target.refresh_from_db()
        after = {
            field.attname: getattr(target, field.attname) for field in model._meta.concrete_fields
        }
        assert after == before

    @pytest.mark.parametrize(("model", "attribute"), SCHOOL_MODELS[1:], ids=SCHOOL_MODEL_IDS[1:])
    def test_posting_to_another_schools_delete_page_deletes_nothing(
        self, client, a, b, model, attribute
    ):
        target = getattr(b, attribute)

        response = client.post(admin_url(model, "delete", target.pk), {"post": "yes"})

        assert response.status_code == 302
        assert model.objects.filter(pk=target.pk).exists()

    @pytest.mark.parametrize(("model", "attribute"), SCHOOL_MODELS[1:], ids=SCHOOL_MODEL_IDS[1:])
    def test_bulk_delete_action_skips_other_schools_rows(self, client, a, b, model, attribute):
        target = getattr(b, attribute)

        client.post(
            admin_url(model, "changelist"),
            {"action": "delete_selected", "_selected_action": [str(target.pk)], "post": "yes"},
        )

        assert model.objects.filter(pk=target.pk).exists()

    def test_own_object_can_be_deleted(self, client, a):
        response = client.post(admin_url(Subject, "delete", a.subject.pk), {"post": "yes"})

        assert response.status_code == 302
        assert not Subject.objects.filter(pk=a.subject.pk).exists()


class TestWriteBufferAdminIsOperatorOnly:
    @pytest.fixture
    def sync_run(self) -> SyncRun:
        return SyncRun.objects.create(trigger="test", status="ok")

    @pytest.fixture
    def dictionary(self) -> CompressionDictionary:
        return CompressionDictionary.objects.create(
            data=b"dictionary", size_bytes=10, sample_count=1, sample_bytes=10
        )

    def test_school_admin_is_refused_every_page(self, client, a, sync_run, dictionary):
        client.force_login(a.admin)
        urls = [
            admin_url(SyncRun, "changelist"),
            admin_url(SyncRun, "change", sync_run.pk),
            admin_url(SyncRun, "add"),
            admin_url(SyncRun, "delete", sync_run.pk),
            admin_url(CompressionDictionary, "changelist"),
            admin_url(CompressionDictionary, "change", dictionary.pk),
            admin_url(CompressionDictionary, "add"),
            admin_url(CompressionDictionary, "delete", dictionary.pk),
        ]

        assert {url: client.get(url).status_code for url in urls} == dict.fromkeys(urls, 403)

    def test_school_admin_index_does_not_list_the_write_buffer(self, client, a):
        client.force_login(a.admin)

        response = client.get(reverse("admin:index"))

        labels = [app["app_label"] for app in response.context["app_list"]]
        assert "users" in labels
        assert "writebuffer" not in labels

    def test_school_admin_cannot_trigger_a_sync(self, client, a):
        client.force_login(a.admin)
        redis = __import__("django_redis").get_redis_connection("writebuffer")

        response = client.post(reverse("admin:writebuffer-sync-now"))

        assert response.status_code == 302
        assert redis.exists(global_key("sync:requested")) == 0

    def test_operator_sees_the_pages_read_only(self, client, operator, sync_run, dictionary):
        client.force_login(operator)

        assert client.get(admin_url(SyncRun, "changelist")).status_code == 200
        assert client.get(admin_url(SyncRun, "change", sync_run.pk)).status_code == 200
        assert client.get(admin_url(CompressionDictionary, "changelist")).status_code == 200
        assert (
            client.get(admin_url(CompressionDictionary, "change", dictionary.pk)).status_code == 200
        )
        assert client.get(admin_url(SyncRun, "add")).status_code == 403
        assert (
            client.get(admin_url(CompressionDictionary, "delete", dictionary.pk)).status_code == 403
        )


class TestOtherRolesCannotUseTheAdmin:
    @pytest.mark.parametrize("role", ["teacher", "student", "guardian"])
    @pytest.mark.parametrize("is_staff", [False, True])
    def test_every_admin_page_redirects_to_login(self, client, a, b, role, is_staff):
        user = getattr(a, role)
        user.is_staff = is_staff  # even a wrongly set staff flag must not open the admin
        user.save(update_fields=["is_staff"])
        client.force_login(user)
        urls = [reverse("admin:index")] + [
            admin_url(model, view, *args)
            for model, attribute in SCHOOL_MODELS
            for view, args in [
                ("changelist", ()),
                ("add", ()),
                ("change", (getattr(a, attribute).pk,)),
            ]
        ]

        for url in urls:
            response = client.get(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith("/admin/login/?next="), url

    def test_teacher_cannot_log_in_to_the_admin(self, client, a):
        response = client.post(
            "/admin/login/", {"username": a.teacher.username, "password": "pw-12345!"}
        )

        assert response.status_code == 200
        assert "_auth_user_id" not in client.session

    def test_anonymous_is_sent_to_login(self, client, a):
        response = client.get(admin_url(Enrolment, "changelist"))

        assert response.status_code == 302
        assert response["Location"] == "/admin/login/?next=/admin/users/enrolment/"


class TestOperatorSeesEverySchool:
    @pytest.fixture(autouse=True)
    def logged_in(self, client, operator):
        client.force_login(operator)

    @pytest.mark.parametrize(("model", "attribute"), SCHOOL_MODELS, ids=SCHOOL_MODEL_IDS)
    def test_changelist_lists_every_school(self, client, a, b, operator, model, attribute):
        response = client.get(admin_url(model, "changelist"))

        expected = expected_rows(a, model) | expected_rows(b, model)
        if model is User:
            expected.add(operator.pk)
        assert changelist_pks(response) == expected

    @pytest.mark.parametrize(("model", "attribute"), SCHOOL_MODELS, ids=SCHOOL_MODEL_IDS)
    def test_any_schools_change_page_opens(self, client, a, b, model, attribute):
        assert client.get(admin_url(model, "change", getattr(b, attribute).pk)).status_code == 200

    def test_add_form_offers_every_school_and_its_objects(self, client, a, b):
        form = form_of(client.get(admin_url(Enrolment, "add")))

        assert set(form.fields["school"].queryset) == {a.school, b.school}
        assert set(form.fields["school_class"].queryset) == {a.school_class, b.school_class}

    def test_operator_still_cannot_link_across_schools(self, client, a, b):
        response = client.post(
            admin_url(Enrolment, "add"),
            {"school": a.school.pk, "student": a.student.pk, "school_class": b.school_class.pk},
        )

        assert response.status_code == 200
        assert form_of(response).errors == {"school_class": ["Belongs to another school."]}


class TestSchoolFilterFor:
    def test_anonymous_sees_nothing(self):
        assert school_filter_for(AnonymousUser()) == {"pk__in": []}

    def test_operator_sees_everything(self):
        assert school_filter_for(SuperuserFactory.build()) is None

    def test_user_without_a_school_sees_nothing(self):
        assert school_filter_for(UserFactory.build(school=None)) == {"pk__in": []}

    def test_school_member_sees_their_school(self, a):
        assert school_filter_for(a.teacher) == {"school_id": a.school.pk}


class TestForUser:
    @pytest.mark.parametrize(
        "model", [SchoolClass, Subject, Enrolment, TeacherAssignment, GuardianLink]
    )
    def test_scopes_every_school_owned_model(self, a, b, operator, model):
        assert set(model.objects.for_user(a.student)) == set(model.objects.filter(school=a.school))
        assert set(model.objects.for_user(b.admin)) == set(model.objects.filter(school=b.school))
        assert model.objects.for_user(operator).count() == 2
        assert model.objects.for_user(AnonymousUser()).count() == 0

    def test_users_are_scoped_too(self, a, b, operator):
        assert set(User.objects.for_user(a.guardian)) == a.users
        assert set(User.objects.for_user(operator)) == a.users | b.users | {operator}

    def test_for_school(self, a, b):
        assert list(SchoolClass.objects.for_school(b.school.pk)) == [b.school_class]


class TestCheckSameSchool:
    def test_same_school_links_pass(self, a):
        check_same_school(a.enrolment)
        check_same_school(a.assignment)
        check_same_school(a.link)

    def test_each_cross_school_link_is_named(self, a, b):
        enrolment = Enrolment(school=a.school, student=b.student, school_class=b.school_class)

        with pytest.raises(ValidationError) as error:
            check_same_school(enrolment)

        assert error.value.message_dict == {
            "student": ["Belongs to another school."],
            "school_class": ["Belongs to another school."],
        }

    def test_object_without_a_school_is_not_checked(self, b):
        check_same_school(Enrolment(student=b.student, school_class=b.school_class))

    def test_full_clean_runs_it(self, a, b):
        assignment = TeacherAssignment(
            school=a.school, teacher=a.teacher, school_class=a.school_class, subject=b.subject
        )

        with pytest.raises(ValidationError) as error:
            assignment.full_clean()

        assert error.value.message_dict == {"subject": ["Belongs to another school."]}


class TestClassesVisibleTo:
    @pytest.fixture
    def more(self, a):
        """A second class in school A that only the admin sees, and one the teacher leads."""
        return {
            "other": SchoolClassFactory(school=a.school),
            "led": SchoolClassFactory(school=a.school, class_teacher=a.teacher),
        }

    def test_school_admin_sees_every_class_of_their_school(self, a, b, more):
        assert set(classes_visible_to(a.admin)) == {a.school_class, more["other"], more["led"]}

    def test_teacher_sees_taught_and_led_classes(self, a, b, more):
        assert set(classes_visible_to(a.teacher)) == {a.school_class, more["led"]}

    def test_student_sees_enrolled_classes(self, a, b, more):
        assert list(classes_visible_to(a.student)) == [a.school_class]

    def test_guardian_sees_their_childrens_classes(self, a, b, more):
        assert list(classes_visible_to(a.guardian)) == [a.school_class]

    def test_operator_sees_every_class(self, a, b, more, operator):
        assert set(classes_visible_to(operator)) == {
            a.school_class,
            more["other"],
            more["led"],
            b.school_class,
        }

    def test_enrolment_in_another_schools_class_does_not_leak(self, a, b):
        # A corrupt row (written around full_clean) must still not show school B's class.
        Enrolment.objects.create(school=b.school, student=a.student, school_class=b.school_class)

        assert list(classes_visible_to(a.student)) == [a.school_class]

    def test_user_without_a_role_sees_nothing(self, a):
        assert list(classes_visible_to(UserFactory(school=a.school, role=""))) == []


class TestStudentsVisibleTo:
    @pytest.fixture
    def classmate_and_stranger(self, a):
        classmate = EnrolmentFactory(school_class=a.school_class).student
        stranger = EnrolmentFactory(school_class=SchoolClassFactory(school=a.school)).student
        return classmate, stranger

    def test_school_admin_sees_every_student_of_their_school(self, a, b, classmate_and_stranger):
        assert set(students_visible_to(a.admin)) == {a.student, *classmate_and_stranger}

    def test_teacher_sees_students_of_their_classes(self, a, b, classmate_and_stranger):
        classmate, _ = classmate_and_stranger

        assert set(students_visible_to(a.teacher)) == {a.student, classmate}

    def test_teacher_sees_each_student_once(self, a, classmate_and_stranger):
        SchoolClassFactory(school=a.school, class_teacher=a.teacher)
        EnrolmentFactory(student=a.student, school_class=SchoolClass.objects.last())
        a.school_class.class_teacher = a.teacher
        a.school_class.save(update_fields=["class_teacher"])

        usernames = list(students_visible_to(a.teacher).values_list("username", flat=True))
        assert sorted(usernames) == sorted({a.student.username, classmate_and_stranger[0].username})

    def test_student_sees_only_themselves(self, a, classmate_and_stranger):
        assert list(students_visible_to(a.student)) == [a.student]

    def test_guardian_sees_only_their_children(self, a, b, classmate_and_stranger):
        second_child = GuardianLinkFactory(guardian=a.guardian).student

        assert set(students_visible_to(a.guardian)) == {a.student, second_child}

    def test_operator_sees_every_student(self, a, b, operator):
        assert set(students_visible_to(operator)) == {a.student, b.student}

    def test_link_to_another_schools_student_does_not_leak(self, a, b):
        GuardianLink.objects.create(school=a.school, guardian=a.guardian, student=b.student)

        assert list(students_visible_to(a.guardian)) == [a.student]


class TestTeaches:
    def test_assignment_and_class_teacher(self, a, b):
        led = SchoolClassFactory(school=a.school, class_teacher=a.teacher)

        assert teaches(teacher=a.teacher, school_class_id=a.school_class.pk) is True
        assert teaches(
            teacher=a.teacher, school_class_id=a.school_class.pk, subject_id=a.subject.pk
        )
        assert teaches(teacher=a.teacher, school_class_id=led.pk) is True
        assert teaches(teacher=a.teacher, school_class_id=led.pk, subject_id=a.subject.pk) is False
        assert teaches(teacher=a.teacher, school_class_id=b.school_class.pk) is False
        assert teaches(teacher=b.teacher, school_class_id=a.school_class.pk) is False
        assert teaches(teacher=a.admin, school_class_id=a.school_class.pk) is False
