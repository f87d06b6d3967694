"""REST endpoints for terms, assessments, marks, gradebooks and report cards (``/api/v1/grades/``).

Views only parse input, call an ``access_*`` selector and a service, and render.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from apps.core.errors import ApplicationError, not_found
from apps.core.permissions import TEACHING_ROLES
from apps.core.serializers import NamedSerializer, PersonSerializer, paginated
from apps.grades.models import AssessmentKind, Term
from apps.grades.report_cards import render_report_card, render_report_cards
from apps.grades.selectors import (
    access_assessment,
    access_assessment_to_mark,
    access_class_report_cards,
    access_student,
    access_term,
    assessable_class_subject_term,
    assessment_list,
    class_report_cards,
    current_term,
    gradebook,
    mark_list,
    report_card,
    sees_subject_marks,
    term_list,
)
from apps.grades.services import ScoreInput, assessment_create, grade_marks_set
from apps.users.models import Subject
from apps.users.selectors import classes_visible_to


class TermSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    academic_year = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()


class AssessmentSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    school_class = NamedSerializer()
    subject = NamedSerializer()
    term = NamedSerializer()
    kind = serializers.ChoiceField(choices=AssessmentKind.choices)
    title = serializers.CharField()
    date = serializers.DateField()
    max_score = serializers.DecimalField(max_digits=6, decimal_places=2)
    weight = serializers.DecimalField(max_digits=5, decimal_places=2)


class GradeMarkSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    assessment = serializers.UUIDField(source="assessment_id")
    student = PersonSerializer()
    score = serializers.DecimalField(max_digits=6, decimal_places=2)
    comment = serializers.CharField()
    marked_by = PersonSerializer(allow_null=True)
    marked_at = serializers.DateTimeField()


class TermListApi(GenericAPIView):
    @extend_schema(responses=TermSerializer(many=True))
    def get(self, request):
        return paginated(self, term_list(user=request.user), TermSerializer)


class AssessmentListCreateApi(GenericAPIView):
    class AssessmentFilterSerializer(serializers.Serializer):
        school_class = serializers.UUIDField(required=False)
        subject = serializers.UUIDField(required=False)
        term = serializers.UUIDField(required=False)

    class AssessmentCreateInputSerializer(serializers.Serializer):
        id = serializers.UUIDField(required=False)
        school_class = serializers.UUIDField()
        subject = serializers.UUIDField()
        term = serializers.UUIDField()
        kind = serializers.ChoiceField(choices=AssessmentKind.choices)
        title = serializers.CharField(max_length=200)
        date = serializers.DateField()
        max_score = serializers.DecimalField(max_digits=6, decimal_places=2, required=False)
        weight = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)

    def get_permissions(self):
        if self.request.method == "POST":
            return [TEACHING_ROLES()]
        return [IsAuthenticated()]

    @extend_schema(
        parameters=[AssessmentFilterSerializer], responses=AssessmentSerializer(many=True)
    )
    def get(self, request):
        filters = self.AssessmentFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        assessments = assessment_list(
            user=request.user,
            school_class_id=filters.validated_data.get("school_class"),
            subject_id=filters.validated_data.get("subject"),
            term_id=filters.validated_data.get("term"),
        )
        return paginated(self, assessments, AssessmentSerializer)

    @extend_schema(request=AssessmentCreateInputSerializer, responses={201: AssessmentSerializer})
    def post(self, request):
        data = self.AssessmentCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        school_class, subject, term = assessable_class_subject_term(
            user=request.user,
            school_class_id=fields.pop("school_class"),
            subject_id=fields.pop("subject"),
            term_id=fields.pop("term"),
        )
        assessment, _ = assessment_create(
            created_by=request.user,
            school_class=school_class,
            subject=subject,
            term=term,
            on=fields.pop("date"),
            assessment_id=fields.pop("id", None),
            **fields,
        )
        assessment = access_assessment(user=request.user, assessment_id=assessment.pk)
        return Response(AssessmentSerializer(assessment).data, status=status.HTTP_201_CREATED)


class AssessmentDetailApi(GenericAPIView):
    @extend_schema(responses=AssessmentSerializer)
    def get(self, request, assessment_id):
        assessment = access_assessment(user=request.user, assessment_id=assessment_id)
        return Response(AssessmentSerializer(assessment).data)


class ScoreInputSerializer(serializers.Serializer):
    student = serializers.UUIDField()
    score = serializers.DecimalField(max_digits=6, decimal_places=2)
    comment = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class AssessmentMarksApi(GenericAPIView):
    """An assessment's marks: the caller's own (students), their children's (guardians) or the
    class's (teachers, admins). ``POST`` enters or corrects marks for many students at once."""

    class MarksInputSerializer(serializers.Serializer):
        # many=True hands max_length to the ListSerializer; the stubs do not know it.
        marks = ScoreInputSerializer(many=True, allow_empty=False, max_length=500)  # type: ignore[call-arg]

    def get_permissions(self):
        if self.request.method == "POST":
            return [TEACHING_ROLES()]
        return [IsAuthenticated()]

    @extend_schema(responses=GradeMarkSerializer(many=True))
    def get(self, request, assessment_id):
        assessment = access_assessment(user=request.user, assessment_id=assessment_id)
        marks = mark_list(user=request.user, assessment_id=assessment.pk)
        return paginated(self, marks, GradeMarkSerializer)

    @extend_schema(request=MarksInputSerializer, responses=GradeMarkSerializer(many=True))
    def post(self, request, assessment_id):
        assessment = access_assessment_to_mark(user=request.user, assessment_id=assessment_id)
        data = self.MarksInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        grade_marks_set(
            assessment=assessment,
            marks=[
                ScoreInput(student_id=m["student"], score=m["score"], comment=m["comment"])
                for m in data.validated_data["marks"]
            ],
            marked_by=request.user,
        )
        marks = mark_list(user=request.user, assessment_id=assessment.pk)
        return paginated(self, marks, GradeMarkSerializer)


class MarkListApi(GenericAPIView):
    """Marks across assessments the caller may see, filtered by student, assessment or term."""

    class MarkFilterSerializer(serializers.Serializer):
        student = serializers.UUIDField(required=False)
        assessment = serializers.UUIDField(required=False)
        term = serializers.UUIDField(required=False)

    @extend_schema(parameters=[MarkFilterSerializer], responses=GradeMarkSerializer(many=True))
    def get(self, request):
        filters = self.MarkFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        marks = mark_list(
            user=request.user,
            assessment_id=filters.validated_data.get("assessment"),
            student_id=filters.validated_data.get("student"),
            term_id=filters.validated_data.get("term"),
        )
        return paginated(self, marks, GradeMarkSerializer)


class GradebookRowSerializer(serializers.Serializer):
    student = PersonSerializer()
    scores = serializers.DictField(
        child=serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True),
        help_text="Score per assessment id; null where not marked.",
    )
    average_percent = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    letter = serializers.CharField(allow_null=True)


class GradebookSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    school_class = NamedSerializer()
    subject = NamedSerializer()
    term = NamedSerializer(allow_null=True)
    assessments = AssessmentSerializer(many=True)
    results = GradebookRowSerializer(many=True)


class GradebookApi(GenericAPIView):
    """A class's gradebook in one subject: assessments as columns, a page of students as rows."""

    permission_classes = [TEACHING_ROLES]

    class GradebookFilterSerializer(serializers.Serializer):
        school_class = serializers.UUIDField()
        subject = serializers.UUIDField()
        term = serializers.UUIDField(required=False)

    @extend_schema(parameters=[GradebookFilterSerializer], responses=GradebookSerializer)
    def get(self, request):
        filters = self.GradebookFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        school_class = (
            classes_visible_to(request.user)
            .filter(pk=filters.validated_data["school_class"])
            .first()
        )
        if school_class is None:
            raise not_found("Class")
        subject = Subject.objects.filter(
            school_id=school_class.school_id, pk=filters.validated_data["subject"]
        ).first()
        if subject is None or not sees_subject_marks(
            user=request.user, school_class=school_class, subject_id=subject.pk
        ):
            raise not_found("Subject")
        term = None
        if "term" in filters.validated_data:
            term = access_term(
                user=request.user,
                term_id=filters.validated_data["term"],
                school_id=school_class.school_id,
            )
        book = gradebook(school_class=school_class, subject=subject, term=term)
        page = self.paginate_queryset(book.rows)
        response = self.get_paginated_response(GradebookRowSerializer(page, many=True).data)
        response.data["school_class"] = NamedSerializer(school_class).data
        response.data["subject"] = NamedSerializer(subject).data
        response.data["term"] = NamedSerializer(term).data if term else None
        response.data["assessments"] = AssessmentSerializer(book.assessments, many=True).data
        return response


def _pdf_download(pdf: bytes, name: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response


def _term_or_current(request, term_id, school) -> Term:
    if term_id is not None:
        return access_term(user=request.user, term_id=term_id, school_id=school.pk)
    term = current_term(school=school)
    if term is None:
        raise ApplicationError("The school has no term yet.", code="not_found", status_code=404)
    return term


class ReportCardApi(GenericAPIView):
    """A student's term report card as a PDF: for the student, their guardians, the teachers
    of their classes and the school's admins. Without ``term``, the current term."""

    class ReportCardFilterSerializer(serializers.Serializer):
        term = serializers.UUIDField(required=False)

    @extend_schema(
        parameters=[ReportCardFilterSerializer],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
    )
    def get(self, request, student_id):
        student = access_student(user=request.user, student_id=student_id)
        filters = self.ReportCardFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        term = _term_or_current(request, filters.validated_data.get("term"), student.school)
        pdf = render_report_card(report_card(student=student, term=term))
        return _pdf_download(pdf, f"report-card-{slugify(student.username)}-{slugify(str(term))}")


class ClassReportCardsApi(GenericAPIView):
    """Every report card of a class in one PDF (a page or more per student, in roll-call
    order), for the class teacher and the school's admins. Without ``term``, the current term."""

    permission_classes = [TEACHING_ROLES]

    class ClassReportCardsFilterSerializer(serializers.Serializer):
        term = serializers.UUIDField(required=False)

    @extend_schema(
        parameters=[ClassReportCardsFilterSerializer],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
    )
    def get(self, request, class_id):
        school_class = access_class_report_cards(user=request.user, class_id=class_id)
        filters = self.ClassReportCardsFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        term = _term_or_current(request, filters.validated_data.get("term"), school_class.school)
        pdf = render_report_cards(
            class_report_cards(school_class=school_class, term=term),
            title=f"Report cards: {school_class}, {term}",
            author=school_class.school.name,
        )
        return _pdf_download(pdf, f"report-cards-{slugify(str(school_class))}-{slugify(str(term))}")
