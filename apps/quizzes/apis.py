"""REST endpoints for quizzes (``/api/v1/quizzes/``) and attempts (``/api/v1/attempts/``).

Students list their quizzes, start attempts, save answers, submit and review; teachers keep the
question bank, build and publish quizzes, read results (JSON or CSV), override marks and regrade.
Views only parse input, call an ``access_*`` selector and a service, and render.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from apps.core.errors import ApplicationError, not_found
from apps.core.permissions import TEACHING_ROLES, roles
from apps.core.serializers import NamedSerializer, paginated
from apps.quizzes.models import (
    Attempt,
    GradingMethod,
    QuestionType,
    QuizStatus,
    ReviewWhen,
)
from apps.quizzes.question_types import public_body
from apps.quizzes.selectors import (
    access_attempt,
    access_question,
    access_quiz,
    access_quiz_for_student,
    access_quiz_to_manage,
    attempt_answers,
    attempt_is_over,
    can_manage_quiz,
    leaderboard_view,
    question_list,
    quiz_attempts,
    quiz_list,
    review_allows,
)
from apps.quizzes.services.attempts import (
    answer_save,
    attempt_finish,
    attempt_start,
    grace,
)
from apps.quizzes.services.questions import question_create, question_update
from apps.quizzes.services.quizzes import quiz_create, quiz_publish, quiz_update
from apps.quizzes.services.results import attempt_override_mark, quiz_regrade
from apps.quizzes.snapshots import quiz_snapshot, versions_by_id
from apps.users.models import Role, SchoolClass, Subject, User

STUDENT = roles("student")


# --- the bank -------------------------------------------------------------------------------
class QuestionOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    subject = NamedSerializer()
    type = serializers.ChoiceField(choices=QuestionType.choices)
    title = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    version = serializers.IntegerField(source="current_version.number")
    version_id = serializers.UUIDField(source="current_version_id")
    body = serializers.JSONField(source="current_version.body")
    points = serializers.DecimalField(
        max_digits=6, decimal_places=2, source="current_version.points"
    )
    updated_at = serializers.DateTimeField()


class QuestionListCreateApi(GenericAPIView):
    """The school's question bank, by subject and tag (teachers and admins)."""

    permission_classes = [TEACHING_ROLES]

    class FilterSerializer(serializers.Serializer):
        subject = serializers.UUIDField(required=False)
        tag = serializers.CharField(required=False)

    class QuestionCreateInputSerializer(serializers.Serializer):
        id = serializers.UUIDField(required=False)
        subject = serializers.UUIDField()
        type = serializers.ChoiceField(choices=QuestionType.choices)
        title = serializers.CharField(max_length=200)
        tags = serializers.ListField(child=serializers.CharField(max_length=50), default=list)
        body = serializers.JSONField()
        points = serializers.DecimalField(
            max_digits=6, decimal_places=2, min_value=0, required=False
        )

    @extend_schema(parameters=[FilterSerializer], responses=QuestionOutputSerializer(many=True))
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        questions = question_list(
            user=request.user,
            subject_id=filters.validated_data.get("subject"),
            tag=filters.validated_data.get("tag"),
        )
        return paginated(self, questions, QuestionOutputSerializer)

    @extend_schema(request=QuestionCreateInputSerializer, responses={201: QuestionOutputSerializer})
    def post(self, request):
        data = self.QuestionCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        subject = Subject.objects.for_user(request.user).filter(pk=fields.pop("subject")).first()
        if subject is None:
            raise ApplicationError("Some fields are not valid.", fields={"subject": ["Not found."]})
        question, _ = question_create(
            subject=subject, created_by=request.user, question_id=fields.pop("id", None), **fields
        )
        question = access_question(user=request.user, question_id=question.pk)
        return Response(QuestionOutputSerializer(question).data, status=status.HTTP_201_CREATED)


class QuestionDetailApi(GenericAPIView):
    permission_classes = [TEACHING_ROLES]

    class QuestionUpdateInputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=200, required=False)
        tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False)
        body = serializers.JSONField(required=False)
        points = serializers.DecimalField(
            max_digits=6, decimal_places=2, min_value=0, required=False
        )

    @extend_schema(responses=QuestionOutputSerializer)
    def get(self, request, question_id):
        return Response(
            QuestionOutputSerializer(
                access_question(user=request.user, question_id=question_id)
            ).data
        )

    @extend_schema(request=QuestionUpdateInputSerializer, responses=QuestionOutputSerializer)
    def patch(self, request, question_id):
        question = access_question(user=request.user, question_id=question_id)
        data = self.QuestionUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        question_update(question=question, edited_by=request.user, **data.validated_data)
        question = access_question(user=request.user, question_id=question_id)
        return Response(QuestionOutputSerializer(question).data)


# --- quizzes --------------------------------------------------------------------------------
class SlotSerializer(serializers.Serializer):
    question = serializers.UUIDField(required=False, allow_null=True)
    draw_tag = serializers.CharField(required=False, allow_blank=True, max_length=50)
    draw_count = serializers.IntegerField(required=False, min_value=1, max_value=100)


class QuizOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()
    instructions = serializers.CharField()
    subject = NamedSerializer()
    classes = NamedSerializer(many=True, source="classes.all")
    status = serializers.ChoiceField(choices=QuizStatus.choices)
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    is_open = serializers.SerializerMethodField()
    time_limit_seconds = serializers.IntegerField(allow_null=True)
    attempts_allowed = serializers.IntegerField()
    grading_method = serializers.ChoiceField(choices=GradingMethod.choices)
    shuffle_questions = serializers.BooleanField()
    shuffle_options = serializers.BooleanField()
    review_marks = serializers.ChoiceField(choices=ReviewWhen.choices)
    review_answers = serializers.ChoiceField(choices=ReviewWhen.choices)

    def get_is_open(self, quiz) -> bool:
        now = timezone.now()
        return quiz.status == QuizStatus.PUBLISHED and quiz.opens_at <= now < quiz.closes_at


class QuizSettingsSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    instructions = serializers.CharField(required=False, allow_blank=True)
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    time_limit_seconds = serializers.IntegerField(
        required=False, allow_null=True, min_value=10, max_value=7 * 24 * 3600
    )
    attempts_allowed = serializers.IntegerField(required=False, min_value=1, max_value=100)
    grading_method = serializers.ChoiceField(choices=GradingMethod.choices, required=False)
    shuffle_questions = serializers.BooleanField(required=False)
    shuffle_options = serializers.BooleanField(required=False)
    review_marks = serializers.ChoiceField(choices=ReviewWhen.choices, required=False)
    review_answers = serializers.ChoiceField(choices=ReviewWhen.choices, required=False)


class QuizListCreateApi(GenericAPIView):
    """Open and past quizzes the caller can see (``?state=open|past``); teachers build them."""

    class FilterSerializer(serializers.Serializer):
        state = serializers.ChoiceField(choices=["open", "past"], required=False)

    class QuizCreateInputSerializer(QuizSettingsSerializer):
        id = serializers.UUIDField(required=False)
        subject = serializers.UUIDField()
        classes = serializers.ListField(child=serializers.UUIDField(), min_length=1)
        slots = SlotSerializer(many=True)

    def get_permissions(self):
        if self.request.method == "POST":
            return [TEACHING_ROLES()]
        return [IsAuthenticated()]

    @extend_schema(parameters=[FilterSerializer], responses=QuizOutputSerializer(many=True))
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        quizzes = quiz_list(user=request.user, state=filters.validated_data.get("state"))
        return paginated(self, quizzes, QuizOutputSerializer)

    @extend_schema(request=QuizCreateInputSerializer, responses={201: QuizOutputSerializer})
    def post(self, request):
        data = self.QuizCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        subject = Subject.objects.for_user(request.user).filter(pk=fields.pop("subject")).first()
        class_ids = set(fields.pop("classes"))
        classes = list(SchoolClass.objects.for_user(request.user).filter(pk__in=class_ids))
        errors = {}
        if subject is None:
            errors["subject"] = ["Not found."]
        if len(classes) != len(class_ids):
            errors["classes"] = ["Not found."]
        if errors:
            raise ApplicationError("Some fields are not valid.", fields=errors)
        quiz, _ = quiz_create(
            created_by=request.user, subject=subject, classes=classes,
            quiz_id=fields.pop("id", None), **fields,
        )  # fmt: skip
        if not can_manage_quiz(user=request.user, quiz=quiz):
            raise ApplicationError("You do not teach this subject in these classes.",
                                   code="permission_denied", status_code=403)  # fmt: skip
        quiz = access_quiz(user=request.user, quiz_id=quiz.pk)
        return Response(QuizOutputSerializer(quiz).data, status=status.HTTP_201_CREATED)


class QuizDetailApi(GenericAPIView):
    class QuizUpdateInputSerializer(QuizSettingsSerializer):
        slots = SlotSerializer(many=True, required=False)

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            for field in self.fields.values():
                field.required = False

    @extend_schema(responses=QuizOutputSerializer)
    def get(self, request, quiz_id):
        return Response(QuizOutputSerializer(access_quiz(user=request.user, quiz_id=quiz_id)).data)

    @extend_schema(request=QuizUpdateInputSerializer, responses=QuizOutputSerializer)
    def patch(self, request, quiz_id):
        quiz = access_quiz_to_manage(user=request.user, quiz_id=quiz_id)
        data = self.QuizUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        quiz_update(quiz=quiz, **data.validated_data)
        return Response(QuizOutputSerializer(access_quiz(user=request.user, quiz_id=quiz_id)).data)


class QuizPublishApi(GenericAPIView):
    permission_classes = [TEACHING_ROLES]

    @extend_schema(request=None, responses=QuizOutputSerializer)
    def post(self, request, quiz_id):
        quiz = access_quiz_to_manage(user=request.user, quiz_id=quiz_id)
        quiz_publish(quiz=quiz)
        return Response(QuizOutputSerializer(access_quiz(user=request.user, quiz_id=quiz_id)).data)


# --- attempts -------------------------------------------------------------------------------
def _visibility(user: User, attempt: Attempt, snapshot) -> tuple[bool, bool]:
    """(marks, answers): what the caller may see of an attempt now."""
    if user.pk != attempt.student_id and user.role != Role.GUARDIAN:
        return True, True  # the quiz's teachers and the school's admins (checked by access)
    if attempt.status != "finished":
        return False, False
    now = timezone.now()
    return (
        review_allows(snapshot=snapshot, when=snapshot.review_marks, now=now),
        review_allows(snapshot=snapshot, when=snapshot.review_answers, now=now),
    )


def attempt_data(user: User, attempt: Attempt, *, with_answers: bool = True) -> dict[str, Any]:
    """An attempt as its reader may see it: during the attempt the questions (no answer key)
    and the student's own answers; after it, marks and the answer key as review allows."""
    snapshot = quiz_snapshot(attempt.quiz_id)
    show_marks, show_answers = _visibility(user, attempt, snapshot)
    versions = versions_by_id(snapshot, [item["version"] for item in attempt.items])
    answers = attempt_answers(attempt=attempt) if with_answers else {}
    questions = []
    for position, item in enumerate(attempt.items, start=1):
        version = versions[item["version"]]
        answer = answers.get(item["question"])
        question: dict[str, Any] = {
            "id": item["question"], "position": position, "type": version.type,
            "title": version.title, "points": item["points"],
            "body": public_body(version.body, option_order=item.get("order")),
            "response": answer.response if answer else None,
        }  # fmt: skip
        if show_marks and item["question"] in attempt.marks:
            entry = attempt.marks[item["question"]]
            question["marks"] = entry.get("override", entry)["marks"]
            if "override" in entry and user.pk != attempt.student_id:
                question["override"] = entry["override"]
        if show_answers:
            question["answer_key"] = {
                k: v for k, v in version.body.items() if k not in question["body"]
            }
        questions.append(question)
    return {
        "id": str(attempt.pk), "quiz": str(attempt.quiz_id), "student": str(attempt.student_id),
        "number": attempt.number, "status": attempt.status, "finished_by": attempt.finished_by,
        "started_at": attempt.started_at, "deadline": attempt.deadline,
        "finished_at": attempt.finished_at,
        "score": str(attempt.score) if show_marks and attempt.score is not None else None,
        "max_score": str(attempt.max_score) if show_marks else None,
        "questions": questions,
    }  # fmt: skip


AttemptOutputSerializer = inline_serializer(
    "Attempt",
    {
        "id": serializers.UUIDField(), "quiz": serializers.UUIDField(),
        "student": serializers.UUIDField(), "number": serializers.IntegerField(),
        "status": serializers.CharField(), "finished_by": serializers.CharField(),
        "started_at": serializers.DateTimeField(), "deadline": serializers.DateTimeField(),
        "finished_at": serializers.DateTimeField(allow_null=True),
        "score": serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True),
        "max_score": serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True),
        "questions": serializers.ListField(child=serializers.DictField()),
    },
)  # fmt: skip


class AttemptStartApi(GenericAPIView):
    """Start an attempt (or get back the one still running): 201 with its deadline and its
    questions, without answers."""

    permission_classes = [STUDENT]

    class AttemptStartInputSerializer(serializers.Serializer):
        id = serializers.UUIDField(required=False)

    @extend_schema(request=AttemptStartInputSerializer, responses={201: AttemptOutputSerializer})
    def post(self, request, quiz_id):
        snapshot, class_id = access_quiz_for_student(user=request.user, quiz_id=quiz_id)
        data = self.AttemptStartInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attempt, created = attempt_start(
            snapshot=snapshot, student=request.user, class_id=class_id,
            attempt_id=data.validated_data.get("id"),
        )  # fmt: skip
        return Response(
            attempt_data(request.user, attempt, with_answers=not created),
            status=status.HTTP_201_CREATED,
        )


class AttemptDetailApi(GenericAPIView):
    """An attempt: during it, the questions and the student's answers; after it, the review the
    quiz allows (teachers see everything)."""

    @extend_schema(responses=AttemptOutputSerializer)
    def get(self, request, attempt_id):
        attempt = access_attempt(user=request.user, attempt_id=attempt_id)
        if attempt_is_over(attempt, timezone.now(), grace().total_seconds()):
            attempt = attempt_finish(attempt=attempt, finished_by="deadline")
        return Response(attempt_data(request.user, attempt))


class AnswerSaveApi(GenericAPIView):
    """Save one answer (idempotent: send it again and nothing doubles)."""

    permission_classes = [STUDENT]

    class AnswerInputSerializer(serializers.Serializer):
        response = serializers.JSONField()

    AnswerOutputSerializer = inline_serializer(
        "SavedAnswer",
        {"question": serializers.UUIDField(), "response": serializers.JSONField(),
         "saved_at": serializers.DateTimeField()},
    )  # fmt: skip

    @extend_schema(request=AnswerInputSerializer, responses=AnswerOutputSerializer)
    def put(self, request, attempt_id, question_id):
        attempt = access_attempt(user=request.user, attempt_id=attempt_id)
        data = self.AnswerInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        answer = answer_save(
            attempt=attempt, student=request.user, question_id=question_id,
            response=data.validated_data["response"],
        )  # fmt: skip
        return Response(
            {"question": str(question_id), "response": answer.response, "saved_at": answer.saved_at}
        )


class AttemptSubmitApi(GenericAPIView):
    """Finish and grade the attempt: 200 with the score when the quiz's review allows it."""

    permission_classes = [STUDENT]

    @extend_schema(request=None, responses=AttemptOutputSerializer)
    def post(self, request, attempt_id):
        attempt = access_attempt(user=request.user, attempt_id=attempt_id)
        if attempt.student_id != request.user.pk:
            raise not_found("Attempt")
        attempt = attempt_finish(attempt=attempt, finished_by="student")
        return Response(attempt_data(request.user, attempt))


class AttemptOverrideApi(GenericAPIView):
    """A teacher replaces one question's mark, with a reason."""

    permission_classes = [TEACHING_ROLES]

    class OverrideInputSerializer(serializers.Serializer):
        question = serializers.UUIDField()
        marks = serializers.DecimalField(max_digits=6, decimal_places=2)
        reason = serializers.CharField(max_length=500)

    @extend_schema(request=OverrideInputSerializer, responses=AttemptOutputSerializer)
    def post(self, request, attempt_id):
        attempt = access_attempt(user=request.user, attempt_id=attempt_id)
        quiz = access_quiz_to_manage(user=request.user, quiz_id=attempt.quiz_id)
        data = self.OverrideInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attempt = attempt_override_mark(
            attempt=attempt, quiz=quiz, question_id=str(data.validated_data["question"]),
            marks=data.validated_data["marks"], reason=data.validated_data["reason"],
            by=request.user,
        )  # fmt: skip
        return Response(attempt_data(request.user, attempt))


# --- results, regrade, leaderboard ----------------------------------------------------------
RESULT_COLUMNS = ["attempt", "student", "username", "full_name", "number", "status",
                  "finished_by", "started_at", "finished_at", "score", "max_score"]  # fmt: skip


def _result_rows(quiz) -> list[dict[str, Any]]:
    attempts = quiz_attempts(quiz=quiz)
    people = {u.pk: u for u in User.objects.filter(pk__in={a.student_id for a in attempts})}
    return [
        {
            "attempt": str(a.pk),
            "student": str(a.student_id),
            "username": people[a.student_id].username if a.student_id in people else "",
            "full_name": people[a.student_id].get_full_name() if a.student_id in people else "",
            "number": a.number,
            "status": a.status,
            "finished_by": a.finished_by,
            "started_at": a.started_at.isoformat(),
            "finished_at": a.finished_at.isoformat() if a.finished_at else "",
            "score": "" if a.score is None else str(a.score),
            "max_score": str(a.max_score),
        }  # fmt: skip
        for a in attempts
    ]


class QuizResultsApi(GenericAPIView):
    """Every attempt at the quiz (teachers and admins)."""

    permission_classes = [TEACHING_ROLES]

    @extend_schema(
        responses=inline_serializer(
            "QuizResults", {"results": serializers.ListField(child=serializers.DictField())}
        ),
    )
    def get(self, request, quiz_id):
        quiz = access_quiz_to_manage(user=request.user, quiz_id=quiz_id)
        return Response({"results": _result_rows(quiz)})


class QuizResultsCsvApi(GenericAPIView):
    """The same results as a spreadsheet (CSV, one row per attempt)."""

    permission_classes = [TEACHING_ROLES]

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request, quiz_id):
        quiz = access_quiz_to_manage(user=request.user, quiz_id=quiz_id)
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=RESULT_COLUMNS)
        writer.writeheader()
        writer.writerows(_result_rows(quiz))
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="quiz-{quiz.pk}-results.csv"'
        return response


class QuizRegradeApi(GenericAPIView):
    """Grade every finished attempt again against the questions' current versions; the report
    says which attempts and questions changed (``dry_run`` only reports)."""

    permission_classes = [TEACHING_ROLES]

    class RegradeInputSerializer(serializers.Serializer):
        dry_run = serializers.BooleanField(default=False)

    @extend_schema(
        request=RegradeInputSerializer,
        responses=inline_serializer(
            "RegradeReport",
            {"attempts": serializers.IntegerField(), "dry_run": serializers.BooleanField(),
             "changed": serializers.ListField(child=serializers.DictField())},
        ),
    )  # fmt: skip
    def post(self, request, quiz_id):
        quiz = access_quiz_to_manage(user=request.user, quiz_id=quiz_id)
        data = self.RegradeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = quiz_regrade(quiz=quiz, by=request.user, dry_run=data.validated_data["dry_run"])
        return Response(
            {"attempts": report.attempts, "dry_run": report.dry_run, "changed": report.changed}
        )


class LeaderboardApi(GenericAPIView):
    """The quiz's ranking (``?class=<id>`` for one class): grade, then earlier finish, then id.
    Students see it when the quiz lets them see marks."""

    class FilterSerializer(serializers.Serializer):
        limit = serializers.IntegerField(required=False, min_value=1, max_value=500, default=50)

    @extend_schema(
        parameters=[FilterSerializer, OpenApiParameter("class", OpenApiTypes.UUID)],
        responses=inline_serializer(
            "Leaderboard",
            {"quiz": serializers.UUIDField(), "class": serializers.UUIDField(allow_null=True),
             "entries": serializers.ListField(child=serializers.DictField())},
        ),
    )  # fmt: skip
    def get(self, request, quiz_id):
        quiz = access_quiz(user=request.user, quiz_id=quiz_id)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        class_id = request.query_params.get("class") or None
        if class_id is not None and class_id not in {str(c.pk) for c in quiz.classes.all()}:
            raise not_found("Class")
        if not can_manage_quiz(user=request.user, quiz=quiz):
            snapshot = quiz_snapshot(quiz.pk)
            if not review_allows(snapshot=snapshot, when=quiz.review_marks, now=timezone.now()):
                raise ApplicationError(
                    "The leaderboard shows marks, which this quiz does not show yet.",
                    code="review_not_allowed", status_code=403,
                )  # fmt: skip
        data = leaderboard_view(
            quiz_id=quiz.pk, class_id=class_id, limit=filters.validated_data["limit"]
        )
        return Response(data)
