"""CSV import of a school's directory: a dry run names every bad line and changes nothing, an
import is all or nothing and idempotent, another school's people are out of reach, and the
export writes what the import reads."""

import pytest
from django.urls import reverse

from apps.users.models import Enrolment, GuardianLink, SchoolClass, Subject, TeacherAssignment, User
from apps.users.selectors import directory_export
from apps.users.services import directory_import
from apps.users.tests.factories import SchoolAdminFactory, SchoolFactory, StudentFactory

pytestmark = pytest.mark.django_db

PEOPLE = """username,first_name,last_name,email,role
t.okafor,Ada,Okafor,ada@example.com,teacher
s.khan,Sami,Khan,,student
s.rossi,Lia,Rossi,lia@example.com,student
p.khan,Nadia,Khan,nadia@example.com,guardian
"""

BAD_PEOPLE = """username,first_name,last_name,email,role
t.okafor,Ada,Okafor,ada@example.com,teacher
s.khan,Sami,Khan,not-an-email,student
,Lia,Rossi,lia@example.com,student
p.khan,Nadia,Khan,nadia@example.com,headmaster
taken,Someone,Else,,student
"""


def import_all(school, dry_run=False):
    files = {
        "subjects": "code,name\nMATH,Mathematics\nENG,English\n",
        "people": PEOPLE,
        "classes": "grade,section,academic_year,class_teacher\n7,A,2026-27,t.okafor\n",
        "enrolments": (
            "student,grade,section,academic_year,roll_number\n"
            "s.khan,7,A,2026-27,1\ns.rossi,7,A,2026-27,2\n"
        ),
        "guardian_links": "guardian,student,relationship\np.khan,s.khan,mother\n",
        "teacher_assignments": (
            "teacher,grade,section,academic_year,subject\n"
            "t.okafor,7,A,2026-27,MATH\nt.okafor,7,A,2026-27,ENG\n"
        ),
    }
    return {
        kind: directory_import(school=school, kind=kind, data=data.encode(), dry_run=dry_run)
        for kind, data in files.items()
    }


def counts(school):
    return (
        User.objects.filter(school=school).count(),
        SchoolClass.objects.filter(school=school).count(),
        Subject.objects.filter(school=school).count(),
        Enrolment.objects.filter(school=school).count(),
        GuardianLink.objects.filter(school=school).count(),
        TeacherAssignment.objects.filter(school=school).count(),
    )


def test_a_school_is_set_up_from_csv_and_a_second_import_changes_nothing():
    school = SchoolFactory()
    reports = import_all(school)
    assert {kind: (r.created, r.updated, r.errors) for kind, r in reports.items()} == {
        "subjects": (2, 0, []),
        "people": (4, 0, []),
        "classes": (1, 0, []),
        "enrolments": (2, 0, []),
        "guardian_links": (1, 0, []),
        "teacher_assignments": (2, 0, []),
    }
    assert counts(school) == (4, 1, 2, 2, 1, 2)
    school_class = SchoolClass.objects.get(school=school)
    assert school_class.class_teacher.username == "t.okafor"
    assert not User.objects.get(username="s.khan").has_usable_password()

    again = import_all(school)
    assert {kind: (r.created, r.updated, r.unchanged) for kind, r in again.items()} == {
        "subjects": (0, 0, 2),
        "people": (0, 0, 4),
        "classes": (0, 0, 1),
        "enrolments": (0, 0, 2),
        "guardian_links": (0, 0, 1),
        "teacher_assignments": (0, 0, 2),
    }
    assert counts(school) == (4, 1, 2, 2, 1, 2)


def test_a_dry_run_reports_what_would_happen_and_changes_nothing():
    school = SchoolFactory()
    reports = import_all(school, dry_run=True)
    assert reports["people"].summary() == (
        "4 rows: 4 would be created, 0 would be updated, 0 unchanged."
    )
    assert counts(school) == (0, 0, 0, 0, 0, 0)


def test_a_bad_file_names_every_bad_line_and_changes_nothing():
    school = SchoolFactory()
    StudentFactory(username="taken")  # another school's account
    for dry_run in (True, False):
        report = directory_import(school=school, kind="people", data=BAD_PEOPLE, dry_run=dry_run)
        assert report.errors == [
            (3, "email: 'not-an-email' is not an email address."),
            (4, "username: required."),
            (5, "role: must be one of school_admin, teacher, student, guardian."),
            (6, "username: 'taken' is taken by another school's account."),
        ]
        assert report.summary() == "4 of 5 rows are not valid; nothing was changed."
        assert counts(school) == (0, 0, 0, 0, 0, 0)  # not even the good first row


def test_links_to_another_schools_people_are_refused():
    school, other = SchoolFactory(), SchoolFactory()
    import_all(other)
    report = directory_import(
        school=school,
        kind="guardian_links",
        data="guardian,student,relationship\np.khan,s.khan,mother\n",
        dry_run=False,
    )
    assert report.errors == [(2, "guardian: no person 'p.khan' at this school.")]
    assert counts(school) == (0, 0, 0, 0, 0, 0)


def test_a_file_without_the_columns_is_refused_as_a_whole():
    report = directory_import(
        school=SchoolFactory(), kind="enrolments", data="student,class\nx,7A\n", dry_run=True
    )
    assert report.errors == [
        (1, "Line 1: the header lacks the column(s) grade, section, academic_year, roll_number.")
    ]


def test_export_writes_what_the_import_reads():
    school = SchoolFactory()
    import_all(school)
    for kind in ("enrolments", "teacher_assignments", "classes", "guardian_links"):
        exported = directory_export(school=school, kind=kind)
        assert (
            exported.splitlines()[0]
            == {
                "enrolments": "student,grade,section,academic_year,roll_number",
                "teacher_assignments": "teacher,grade,section,academic_year,subject",
                "classes": "grade,section,academic_year,class_teacher",
                "guardian_links": "guardian,student,relationship",
            }[kind]
        )
    assert directory_export(school=school, kind="enrolments").splitlines()[1:] == [
        "s.khan,7,A,2026-27,1",
        "s.rossi,7,A,2026-27,2",
    ]
    # Re-importing the export into the same school changes nothing.
    for kind in ("subjects", "people", "classes", "enrolments", "guardian_links"):
        report = directory_import(
            school=school, kind=kind, data=directory_export(school=school, kind=kind),
            dry_run=False,
        )  # fmt: skip
        assert (report.errors, report.created, report.updated) == ([], 0, 0), kind


def test_the_admin_page_shows_a_dry_run_report(client):
    admin = SchoolAdminFactory()
    client.force_login(admin)
    page = reverse("admin:users_directory")
    assert client.get(page).status_code == 200
    upload = __import__("io").BytesIO(BAD_PEOPLE.encode())
    upload.name = "people.csv"
    response = client.post(page, {"kind": "people", "file": upload, "dry_run": "on"})
    assert response.status_code == 200
    html = response.content.decode()
    # No "taken" account elsewhere here, so three bad lines.
    assert "3 of 5 rows are not valid; nothing was changed." in html
    assert "<td>3</td><td>email: &#x27;not-an-email&#x27; is not an email address.</td>" in html
    assert User.objects.filter(school=admin.school).count() == 1
    export = client.get(reverse("admin:users_directory_export", args=["people"]))
    assert export["Content-Type"] == "text/csv; charset=utf-8"
    assert export.content.decode().splitlines()[1] == (
        f"{admin.username},{admin.first_name},{admin.last_name},{admin.email},school_admin"
    )
