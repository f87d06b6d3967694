"""REST endpoints for registers, marks and attendance reports (``/api/v1/attendance/``).

Views only parse input, call an ``access_*`` selector and a service, and render.
"""

from __future__ import annotations

from datetime import date

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from apps.attendance.models import AttendanceCode, Register
from apps.attendance.selectors import (
    access_class,
    access_register,
    access_student,
    class_attendance_rate,
    class_to_mark,
    classes_missing_register,
    register_changes,
    register_list,
    register_marks,
    student_daily_summary,
)
from apps.attendance.services import (
    MarkingResult,
    MarkInput,
    register_mark,
    register_take,
    school_today,
)
from apps.core.errors import ApplicationError
from apps.core.permissions import TEACHING_ROLES
from apps.core.serializers import PersonSerializer, paginated

DEFAULT_SUMMARY_DAYS = 30


class AttendanceClassSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField(source="__str__")
    grade = serializers.IntegerField()
    section = serializers.CharField()


class RegisterSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    school_class = AttendanceClassSerializer()
    date = serializers.DateField()
    period = serializers.IntegerField(help_text="0 is a whole-day register.")
    created_by = PersonSerializer(allow_null=True)
    last_marked_at = serializers.DateTimeField(allow_null=True)
    last_marked_by = PersonSerializer(allow_null=True)


class MarkSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    student = PersonSerializer()
    code = serializers.ChoiceField(choices=AttendanceCode.choices)
    note = serializers.CharField()
    marked_by = PersonSerializer(allow_null=True)
    marked_at = serializers.DateTimeField()


class RegisterWithMarksSerializer(RegisterSerializer):
    marks = MarkSerializer(many=True)
    changed = serializers.IntegerField(required=False, help_text="Marks this request changed.")
    unchanged = serializers.IntegerField(required=False, help_text="Marks sent but already so.")


class MarkInputSerializer(serializers.Serializer):
    student = serializers.UUIDField()
    code = serializers.ChoiceField(choices=AttendanceCode.choices)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


def _mark_inputs(validated: list[dict]) -> list[MarkInput]:
    return [MarkInput(student_id=m["student"], code=m["code"], note=m["note"]) for m in validated]


def _register_body(register: Register) -> dict:
    body = dict(RegisterSerializer(register).data)
    body["marks"] = MarkSerializer(register_marks(register=register), many=True).data
    return body


def _result_body(result: MarkingResult) -> dict:
    return {
        **_register_body(result.register),
        "changed": result.changed,
        "unchanged": result.unchanged,
    }


class RegisterListCreateApi(GenericAPIView):
    """Registers of the caller's classes; ``POST`` takes (or reopens) one and marks the class."""

    permission_classes = [TEACHING_ROLES]

    class RegisterFilterSerializer(serializers.Serializer):
        school_class = serializers.UUIDField(required=False)
        date_from = serializers.DateField(required=False)
        date_to = serializers.DateField(required=False)

    class RegisterCreateInputSerializer(serializers.Serializer):
        school_class = serializers.UUIDField()
        date = serializers.DateField()
        period = serializers.IntegerField(default=0, help_text="0 (the default) is the whole day.")
        # many=True hands max_length to the ListSerializer; the stubs do not know it.
        marks = MarkInputSerializer(many=True, allow_empty=False, max_length=500)  # type: ignore[call-arg]

    @extend_schema(parameters=[RegisterFilterSerializer], responses=RegisterSerializer(many=True))
    def get(self, request):
        filters = self.RegisterFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        registers = register_list(
            user=request.user,
            school_class_id=filters.validated_data.get("school_class"),
            date_from=filters.validated_data.get("date_from"),
            date_to=filters.validated_data.get("date_to"),
        )
        return paginated(self, registers, RegisterSerializer)

    @extend_schema(
        request=RegisterCreateInputSerializer,
        responses={201: RegisterWithMarksSerializer, 200: RegisterWithMarksSerializer},
        description="Answers 201 when the register is new, 200 when an existing one was re-marked.",
    )
    def post(self, request):
        data = self.RegisterCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        school_class = class_to_mark(
            user=request.user, school_class_id=data.validated_data["school_class"]
        )
        result, created = register_take(
            school_class=school_class,
            on=data.validated_data["date"],
            period=data.validated_data["period"],
            marks=_mark_inputs(data.validated_data["marks"]),
            marked_by=request.user,
        )
        return Response(
            _result_body(result), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class RegisterDetailApi(GenericAPIView):
    permission_classes = [TEACHING_ROLES]

    @extend_schema(responses=RegisterWithMarksSerializer)
    def get(self, request, register_id):
        register = access_register(user=request.user, register_id=register_id)
        return Response(_register_body(register))


class RegisterMarkApi(GenericAPIView):
    """Re-mark some or all students of a register; marks not sent stay as they are."""

    permission_classes = [TEACHING_ROLES]

    class RegisterMarkInputSerializer(serializers.Serializer):
        # many=True hands max_length to the ListSerializer; the stubs do not know it.
        marks = MarkInputSerializer(many=True, allow_empty=False, max_length=500)  # type: ignore[call-arg]

    @extend_schema(request=RegisterMarkInputSerializer, responses=RegisterWithMarksSerializer)
    def post(self, request, register_id):
        register = access_register(user=request.user, register_id=register_id)
        data = self.RegisterMarkInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = register_mark(
            register=register,
            marks=_mark_inputs(data.validated_data["marks"]),
            marked_by=request.user,
        )
        return Response(_result_body(result))


class MarkChangeSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    mark_id = serializers.UUIDField()
    student = PersonSerializer()
    previous_code = serializers.CharField(help_text="Blank for the first marking.")
    code = serializers.CharField()
    previous_note = serializers.CharField()
    note = serializers.CharField()
    changed_by = PersonSerializer(allow_null=True)
    changed_at = serializers.DateTimeField()


class RegisterChangesApi(GenericAPIView):
    """Who changed which mark of a register, newest first."""

    permission_classes = [TEACHING_ROLES]

    @extend_schema(responses=MarkChangeSerializer(many=True))
    def get(self, request, register_id):
        register = access_register(user=request.user, register_id=register_id)
        return paginated(self, register_changes(register=register), MarkChangeSerializer)


class MissingRegistersApi(GenericAPIView):
    """Classes (of the caller's) whose register for a date (default: today) is not marked."""

    permission_classes = [TEACHING_ROLES]

    class MissingFilterSerializer(serializers.Serializer):
        date = serializers.DateField(required=False)

    @extend_schema(
        parameters=[MissingFilterSerializer], responses=AttendanceClassSerializer(many=True)
    )
    def get(self, request):
        filters = self.MissingFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        on = filters.validated_data.get("date") or school_today(request.user.school)
        classes = classes_missing_register(user=request.user, on=on)
        return paginated(self, classes, AttendanceClassSerializer)


class RangeFilterSerializer(serializers.Serializer):
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)


class DaySummarySerializer(serializers.Serializer):
    class DayMarkSerializer(serializers.Serializer):
        register = serializers.UUIDField()
        period = serializers.IntegerField()
        code = serializers.CharField()
        note = serializers.CharField()

    date = serializers.DateField()
    status = serializers.CharField(help_text="The day's code, or 'mixed' when periods differ.")
    counts = serializers.DictField(child=serializers.IntegerField())
    marks = DayMarkSerializer(many=True)


class StudentDailySummaryApi(GenericAPIView):
    """A student's attendance day by day (the student, their guardians, teachers, admins)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[RangeFilterSerializer], responses=DaySummarySerializer(many=True))
    def get(self, request, student_id):
        student = access_student(user=request.user, student_id=student_id)
        date_from, date_to = _range(request, today=school_today(student.school))
        days = student_daily_summary(student=student, date_from=date_from, date_to=date_to)
        return paginated(self, days, DaySummarySerializer)


MAX_RANGE_DAYS = 366


def _range(request, *, today):
    """The requested date range: the last DEFAULT_SUMMARY_DAYS days up to ``date_to`` (today by
    default), at most MAX_RANGE_DAYS long, never reversed."""
    filters = RangeFilterSerializer(data=request.query_params)
    filters.is_valid(raise_exception=True)
    date_to = filters.validated_data.get("date_to", today)
    default_from = max(date_to.toordinal() - (DEFAULT_SUMMARY_DAYS - 1), date.min.toordinal())
    date_from = filters.validated_data.get("date_from", date.fromordinal(default_from))
    if date_from > date_to:
        raise ApplicationError(
            "date_from must not be after date_to.", fields={"date_from": ["After date_to."]}
        )
    if (date_to - date_from).days >= MAX_RANGE_DAYS:
        raise ApplicationError(
            f"A range covers at most {MAX_RANGE_DAYS} days.",
            fields={"date_from": [f"At most {MAX_RANGE_DAYS} days before date_to."]},
        )
    return date_from, date_to


class ClassRateSerializer(serializers.Serializer):
    class StudentRateSerializer(serializers.Serializer):
        student = PersonSerializer()
        marks = serializers.IntegerField()
        rate = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)

    school_class = AttendanceClassSerializer()
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    registers = serializers.IntegerField()
    counts = serializers.DictField(child=serializers.IntegerField())
    rate = serializers.DecimalField(
        max_digits=4,
        decimal_places=1,
        allow_null=True,
        help_text="Percent of marks that are present or late; null without marks.",
    )
    students = StudentRateSerializer(many=True)


class ClassAttendanceRateApi(GenericAPIView):
    permission_classes = [TEACHING_ROLES]

    @extend_schema(parameters=[RangeFilterSerializer], responses=ClassRateSerializer)
    def get(self, request, school_class_id):
        school_class = access_class(user=request.user, school_class_id=school_class_id)
        date_from, date_to = _range(request, today=school_today(school_class.school))
        rate = class_attendance_rate(
            school_class=school_class, date_from=date_from, date_to=date_to
        )
        return Response(ClassRateSerializer(rate).data)
