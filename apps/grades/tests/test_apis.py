"""The grades API end to end: assessments, marks, gradebook, report card PDFs, isolation."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from apps.grades.models import Assessment, GradeBand, GradeMark, GradingScale, Term
from apps.writebuffer.sync import sync_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def term(world) -> Term:
    today = timezone.localdate()
    return Term.objects.create(
        school=world.school,
        name="Term 1",
        academic_year="2026-27",
        starts_on=today - timedelta(days=60),
        ends_on=today + timedelta(days=30),
    )


@pytest.fixture
def scale(world) -> GradingScale:
    scale = GradingScale.objects.create(school=world.school, name="A-F", is_default=True)
    for letter, minimum in [("A", 90), ("B", 80), ("C", 70), ("F", 0)]:
        GradeBand.objects.create(
            school=world.school, scale=scale, letter=letter, min_percent=minimum
        )
    return scale


def create_assessment(client, world, term_, **fields):
    body = {
        "school_class": str(world.school_class.pk),
        "subject": str(world.subject.pk),
        "term": str(term_.pk),
        "kind": "test",
        "title": "Unit test",
        "date": timezone.localdate().isoformat(),
        "max_score": "50",
        "weight": "1",
        **fields,
    }
    return client.post(reverse("grades-assessments"), body, format="json")


def enter_marks(client, assessment_id, scores):
    return client.post(
        reverse("grades-assessment-marks", args=[assessment_id]),
        {"marks": [{"student": str(s.pk), "score": str(v)} for s, v in scores]},
        format="json",
    )


def test_gradebook_weighted_averages_and_letters(world, term, scale, client_for):
    client = client_for(world.teacher)
    test = create_assessment(client, world, term, title="Test", max_score="50", weight="1")
    exam = create_assessment(
        client, world, term, title="Exam", kind="exam", max_score="100", weight="3"
    )
    assert (test.status_code, exam.status_code) == (201, 201)
    first, second, third = world.students
    marked = enter_marks(client, test.json()["id"], [(first, 40), (second, 25)])
    assert marked.status_code == 200, marked.json()
    enter_marks(client, exam.json()["id"], [(first, 90), (second, 60)])
    assert GradeMark.objects.count() == 0  # still in the write buffer
    response = client.get(
        reverse("grades-gradebook"),
        {"school_class": str(world.school_class.pk), "subject": str(world.subject.pk)},
    )
    assert response.status_code == 200
    rows = {row["student"]["id"]: row for row in response.json()["results"]}
    # first: (1 * 0.8 + 3 * 0.9) / 4 = 87.5%; second: (0.5 + 3 * 0.6) / 4 = 57.5%
    assert (rows[str(first.pk)]["average_percent"], rows[str(first.pk)]["letter"]) == (
        "87.50",
        "B",
    )
    assert (rows[str(second.pk)]["average_percent"], rows[str(second.pk)]["letter"]) == (
        "57.50",
        "F",
    )
    assert (rows[str(third.pk)]["average_percent"], rows[str(third.pk)]["letter"]) == (None, None)
    assert rows[str(first.pk)]["scores"] == {test.json()["id"]: "40.00", exam.json()["id"]: "90.00"}
    assert [a["title"] for a in response.json()["assessments"]] == ["Exam", "Test"]
    sync_all(trigger="test")
    assert GradeMark.objects.count() == 4
    after = client.get(
        reverse("grades-gradebook"),
        {"school_class": str(world.school_class.pk), "subject": str(world.subject.pk)},
    )
    assert after.json()["results"] == response.json()["results"]


def test_correcting_a_mark_updates_the_same_row(world, term, client_for):
    client = client_for(world.teacher)
    assessment_id = create_assessment(client, world, term).json()["id"]
    enter_marks(client, assessment_id, [(world.student, 30)])
    sync_all(trigger="test")
    enter_marks(client, assessment_id, [(world.student, 35)])
    marks = client.get(reverse("grades-assessment-marks", args=[assessment_id])).json()
    assert [m["score"] for m in marks["results"]] == ["35.00"]
    sync_all(trigger="test")
    assert list(GradeMark.objects.values_list("score", flat=True)) == [Decimal("35.00")]


def test_bad_marks_write_nothing(world, other_world, term, client_for):
    client = client_for(world.teacher)
    assessment_id = create_assessment(client, world, term).json()["id"]
    response = enter_marks(
        client,
        assessment_id,
        [(world.student, 10), (other_world.student, 10), (world.students[1], 51)],
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "marks": {
            "1": {"student": ["Not a student of this class."]},
            "2": {"score": ["Must be between 0 and 50.00."]},
        }
    }
    sync_all(trigger="test")
    assert GradeMark.objects.count() == 0


def test_assessment_create_refuses_bad_input(world, other_world, term, client_for):
    client = client_for(world.teacher)
    other_term = create_assessment(client, world, term, term=str(other_world.school.pk))
    assert other_term.json()["error"]["fields"] == {"term": ["Not found."]}
    outside = create_assessment(client, world, term, date="2020-01-01")
    assert list(outside.json()["error"]["fields"]) == ["date"]
    wrong_format = create_assessment(client, world, term, date="01.02.2026")
    assert list(wrong_format.json()["error"]["fields"]) == ["date"]
    assert create_assessment(client_for(world.student), world, term).status_code == 403
    assert Assessment.objects.count() == 0


def test_students_and_guardians_see_only_their_own_marks(world, term, client_for):
    client = client_for(world.teacher)
    assessment_id = create_assessment(client, world, term).json()["id"]
    enter_marks(client, assessment_id, [(s, 20 + i) for i, s in enumerate(world.students)])
    for user in (world.student, world.guardian):
        marks = client_for(user).get(reverse("grades-marks")).json()["results"]
        assert [(m["student"]["id"], m["score"]) for m in marks] == [
            (str(world.student.pk), "20.00")
        ]
    assert client_for(world.admin).get(reverse("grades-marks")).json()["count"] == 3


def test_report_card_pdf(world, term, scale, client_for):
    client = client_for(world.teacher)
    assessment_id = create_assessment(client, world, term).json()["id"]
    enter_marks(client, assessment_id, [(world.student, 46)])
    url = reverse("grades-report-card", args=[world.student.pk])
    for user in (world.student, world.guardian, world.teacher, world.admin):
        response = client_for(user).get(url, {"term": str(term.pk)})
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        reader = PdfReader(io.BytesIO(response.content))
        text = reader.pages[0].extract_text()
        assert len(reader.pages) == 1
        assert text.splitlines()[0] == world.school.name
        assert f"{world.subject.name}\n1 of 1\n92.00%\nA\n" in text
    classmate = reverse("grades-report-card", args=[world.students[1].pk])
    assert client_for(world.student).get(classmate).status_code == 404
    assert client_for(world.guardian).get(classmate).status_code == 404


def test_other_school_can_neither_read_nor_change(world, other_world, term, client_for):
    client = client_for(world.teacher)
    assessment_id = create_assessment(client, world, term).json()["id"]
    enter_marks(client, assessment_id, [(world.student, 10)])
    for outsider in (other_world.admin, other_world.teacher, other_world.student):
        other = client_for(outsider)
        assert other.get(reverse("grades-assessment", args=[assessment_id])).status_code == 404
        assert (
            other.get(reverse("grades-assessment-marks", args=[assessment_id])).status_code == 404
        )
        assert other.get(reverse("grades-marks")).json()["count"] == 0
        assert other.get(reverse("grades-assessments")).json()["count"] == 0
        assert other.get(reverse("grades-terms")).json()["count"] == 0
        report = reverse("grades-report-card", args=[world.student.pk])
        assert other.get(report, {"term": str(term.pk)}).status_code == 404
    for outsider in (other_world.admin, other_world.teacher):
        assert (
            enter_marks(client_for(outsider), assessment_id, [(world.student, 1)]).status_code
            == 404
        )
        gradebook = client_for(outsider).get(
            reverse("grades-gradebook"),
            {"school_class": str(world.school_class.pk), "subject": str(world.subject.pk)},
        )
        assert gradebook.status_code == 404


def test_list_endpoints_query_counts(world, term, client_for, django_assert_num_queries):
    client = client_for(world.teacher)
    ids = [create_assessment(client, world, term, title=f"T{n}").json()["id"] for n in range(3)]
    for assessment_id in ids:
        enter_marks(client, assessment_id, [(s, 30) for s in world.students])
    sync_all(trigger="test")
    with django_assert_num_queries(2):  # count, page (class, subject, term joined)
        assert client.get(reverse("grades-assessments")).json()["count"] == 3
    with django_assert_num_queries(2):  # visible assessment ids, marks (all joined)
        assert client.get(reverse("grades-marks")).json()["count"] == 9
    from apps.homework.tests.conftest import make_homework

    for n in range(3):
        make_homework(world, title=f"H{n}")
    # class, subject, assessments, homework, graded submissions, marks, scale (none here, so
    # no bands query), students: the same for any number of assessments and homework
    with django_assert_num_queries(8):
        response = client.get(
            reverse("grades-gradebook"),
            {"school_class": str(world.school_class.pk), "subject": str(world.subject.pk)},
        )
    assert response.json()["count"] == 3


def test_a_teacher_of_another_subject_sees_the_assessments_but_not_the_marks(
    world, term, scale, client_for
):
    from apps.users.tests.factories import SubjectFactory, TeacherAssignmentFactory, TeacherFactory

    client = client_for(world.teacher)
    assessment = create_assessment(client, world, term, title="Algebra")
    enter_marks(client, assessment.json()["id"], [(world.students[0], 40)])
    english_teacher = TeacherFactory(school=world.school)
    TeacherAssignmentFactory(
        teacher=english_teacher,
        school_class=world.school_class,
        subject=SubjectFactory(school=world.school),
    )
    other = client_for(english_teacher)

    listed = other.get(reverse("grades-assessments"))
    marks = other.get(reverse("grades-assessment-marks", args=[assessment.json()["id"]]))
    book = other.get(
        reverse("grades-gradebook"),
        {"school_class": str(world.school_class.pk), "subject": str(world.subject.pk)},
    )

    assert [a["title"] for a in listed.json()["results"]] == ["Algebra"]
    assert (marks.status_code, marks.json()["results"]) == (200, [])
    assert book.status_code == 404
    own = client.get(reverse("grades-assessment-marks", args=[assessment.json()["id"]]))
    assert [m["score"] for m in own.json()["results"]] == ["40.00"]


def test_graded_homework_counts_in_the_gradebook_and_report_card(world, term, scale, client_for):
    """Homework graded through the homework API is a column of kind "homework" with its own
    weight; ungraded homework has a column but no score; the report card averages it in."""
    from apps.homework.tests.conftest import make_homework

    client = client_for(world.teacher)
    test = create_assessment(client, world, term, title="Test", max_score="50", weight="1")
    first, second, _third = world.students
    enter_marks(client, test.json()["id"], [(first, 40), (second, 40)])
    essay = make_homework(
        world, title="Essay", max_score=Decimal(20), weight=Decimal(3),
        due_at=timezone.now() + timedelta(days=2),
    )  # fmt: skip
    ungraded = make_homework(world, title="Poem", due_at=timezone.now() + timedelta(days=3))
    for student, score in ((first, "10"), (second, None)):
        submitted = client_for(student).post(
            reverse("homework-submissions", args=[essay.pk]), {"text": "mine"}, format="json"
        )
        assert submitted.status_code == 201, submitted.json()
        if score is not None:
            graded = client.post(
                reverse("homework-submission-grade", args=[essay.pk, submitted.json()["id"]]),
                {"score": score},
                format="json",
            )
            assert graded.status_code == 200, graded.json()

    response = client.get(
        reverse("grades-gradebook"),
        {
            "school_class": str(world.school_class.pk),
            "subject": str(world.subject.pk),
            "term": str(term.pk),
        },
    )
    assert response.status_code == 200
    columns = [
        (a["id"], a["kind"], a["title"], a["weight"]) for a in response.json()["assessments"]
    ]
    assert columns == [
        (test.json()["id"], "test", "Test", "1.00"),
        (str(essay.pk), "homework", "Essay", "3.00"),
        (str(ungraded.pk), "homework", "Poem", "1.00"),
    ]
    rows = {row["student"]["id"]: row for row in response.json()["results"]}
    # first: (1 * 40/50 + 3 * 10/20) / 4 = (0.8 + 1.5) / 4 = 57.5%; second: test only, 80%
    assert rows[str(first.pk)]["scores"] == {
        test.json()["id"]: "40.00",
        str(essay.pk): "10.00",
        str(ungraded.pk): None,
    }
    assert (rows[str(first.pk)]["average_percent"], rows[str(first.pk)]["letter"]) == ("57.50", "F")
    assert (rows[str(second.pk)]["average_percent"], rows[str(second.pk)]["letter"]) == (
        "80.00",
        "B",
    )

    pdf = client_for(first).get(
        reverse("grades-report-card", args=[first.pk]), {"term": str(term.pk)}
    )
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert f"{world.subject.name}\n2 of 3\n57.50%\nF\n" in text


def test_a_report_card_a_school_would_hand_out(world, term, scale, client_for, tmp_path, settings):
    """Attendance for the term, the subject teacher's comment, the class teacher's remark, the
    grading key, the logo and signature lines; one PDF for the whole class for its teacher."""
    from django.core.files.base import ContentFile

    from apps.attendance.services import MarkInput, register_take, school_today
    from apps.grades.models import ReportComment

    settings.MEDIA_ROOT = str(tmp_path)
    png = io.BytesIO()
    __import__("PIL.Image").Image.new("RGB", (120, 60), "navy").save(png, "PNG")
    world.school.logo.save("logo.png", ContentFile(png.getvalue()))
    client = client_for(world.teacher)
    assessment_id = create_assessment(client, world, term).json()["id"]
    enter_marks(client, assessment_id, [(world.student, 46), (world.students[1], 30)])
    register_take(
        school_class=world.school_class, on=school_today(world.school), period=0,
        marks=[MarkInput(student_id=s.pk, code="present") for s in world.students],
        marked_by=world.teacher,
    )  # fmt: skip
    ReportComment.objects.create(
        school=world.school, student=world.student, term=term, subject=world.subject,
        text="Careful, steady work.", author=world.teacher,
    )  # fmt: skip
    ReportComment.objects.create(
        school=world.school, student=world.student, term=term, text="A fine term.",
        author=world.teacher,
    )  # fmt: skip

    response = client_for(world.guardian).get(
        reverse("grades-report-card", args=[world.student.pk]), {"term": str(term.pk)}
    )
    reader = PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    teacher = world.teacher.get_full_name()
    assert "Grading key: A from 90.00%, B from 80.00%, C from 70.00%, F from 0.00%." in text
    assert "1 school day: 1 present. Attendance 100.0%." in text
    assert f"{world.subject.name} ({teacher}): Careful, steady work." in text
    assert "Class teacher's remark\nA fine term." in text
    assert f"Class teacher: {teacher}" in text and "Principal" in text
    assert "Parent or guardian" in text
    assert len(reader.pages[0].images) == 1  # the logo

    url = reverse("grades-class-report-cards", args=[world.school_class.pk])
    whole_class = client.get(url, {"term": str(term.pk)})
    assert whole_class.status_code == 200
    assert whole_class["Content-Type"] == "application/pdf"
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(whole_class.content)).pages]
    assert len(pages) == 3
    students = [s.get_full_name() for s in world.students]
    assert [next(n for n in students if f"Student: {n} (" in page) for page in pages] == students
    # Not for students, guardians, or another class's teacher.
    assert client_for(world.student).get(url).status_code == 403
    assert client_for(world.admin).get(url, {"term": str(term.pk)}).status_code == 200
