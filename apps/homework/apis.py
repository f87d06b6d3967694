"""REST endpoints for homework, attachments, extensions and submissions (``/api/v1/homework/``).

Views only parse input, call an ``access_*`` selector and a service, and render.
"""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from apps.core.errors import not_found
from apps.core.permissions import TEACHING_ROLES, roles
from apps.core.serializers import NamedSerializer, PersonSerializer, paginated
from apps.homework.models import (
    FEEDBACK_MAX_LENGTH,
    INSTRUCTIONS_MAX_LENGTH,
    SUBMISSION_TEXT_MAX_LENGTH,
    LatePolicy,
)
from apps.homework.selectors import (
    access_attachment,
    access_homework,
    access_homework_to_manage,
    access_submission,
    assignable_class_and_subject,
    extension_list,
    homework_list,
    student_of_class,
    submission_list,
)
from apps.homework.services import (
    extension_grant,
    homework_attachments_add,
    homework_create,
    submission_create,
    submission_grade,
)


class AttachmentSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    size_bytes = serializers.IntegerField()
    content_type = serializers.CharField()
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, attachment) -> str:
        return reverse("homework-attachment", args=[attachment.homework_id, attachment.pk])


class HomeworkOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    school_class = NamedSerializer()
    subject = NamedSerializer()
    assigned_by = PersonSerializer(allow_null=True)
    title = serializers.CharField()
    instructions = serializers.CharField()
    due_at = serializers.DateTimeField()
    cut_off_at = serializers.DateTimeField(allow_null=True)
    max_score = serializers.DecimalField(max_digits=6, decimal_places=2)
    weight = serializers.DecimalField(max_digits=5, decimal_places=2)
    late_policy = serializers.ChoiceField(choices=LatePolicy.choices)
    late_deduction_percent_per_day = serializers.DecimalField(max_digits=5, decimal_places=2)
    late_minimum_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    attachments = AttachmentSerializer(many=True, source="attachments.all")
    created_at = serializers.DateTimeField()


class SubmissionFileSerializer(serializers.Serializer):
    name = serializers.CharField()
    size_bytes = serializers.IntegerField()
    content_type = serializers.CharField()
    download_url = serializers.CharField()


class SubmissionOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    homework = serializers.UUIDField(source="homework_id")
    student = PersonSerializer()
    attempt = serializers.IntegerField()
    is_current = serializers.BooleanField()
    text = serializers.CharField()
    files = serializers.SerializerMethodField()
    status = serializers.CharField()
    days_late = serializers.IntegerField()
    submitted_at = serializers.DateTimeField()
    score = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    final_score = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    feedback = serializers.CharField()
    graded_by = PersonSerializer(allow_null=True)
    graded_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(SubmissionFileSerializer(many=True))
    def get_files(self, submission) -> list[dict]:
        return [
            {
                "name": file["name"],
                "size_bytes": file["size_bytes"],
                "content_type": file["content_type"],
                "download_url": reverse(
                    "homework-submission-file",
                    args=[submission.homework_id, submission.pk, index],
                ),
            }
            for index, file in enumerate(submission.files)
        ]


class HomeworkListCreateApi(GenericAPIView):
    """Homework of the caller's classes; teachers of the class and subject (and admins) set it."""

    class HomeworkFilterSerializer(serializers.Serializer):
        school_class = serializers.UUIDField(required=False)
        subject = serializers.UUIDField(required=False)

    class HomeworkCreateInputSerializer(serializers.Serializer):
        id = serializers.UUIDField(required=False)
        school_class = serializers.UUIDField()
        subject = serializers.UUIDField()
        title = serializers.CharField(max_length=200)
        instructions = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=INSTRUCTIONS_MAX_LENGTH
        )
        due_at = serializers.DateTimeField()
        cut_off_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
        max_score = serializers.DecimalField(max_digits=6, decimal_places=2, required=False)
        weight = serializers.DecimalField(
            max_digits=5,
            decimal_places=2,
            required=False,
            help_text="Its weight among the class's assessments in the subject once graded.",
        )
        late_policy = serializers.ChoiceField(choices=LatePolicy.choices, required=False)
        late_deduction_percent_per_day = serializers.DecimalField(
            max_digits=5, decimal_places=2, required=False
        )
        late_minimum_percent = serializers.DecimalField(
            max_digits=5, decimal_places=2, required=False
        )
        attachments = serializers.ListField(
            child=serializers.FileField(), required=False, default=list
        )

    def get_permissions(self):
        if self.request.method == "POST":
            return [TEACHING_ROLES()]
        return [IsAuthenticated()]

    @extend_schema(
        parameters=[HomeworkFilterSerializer], responses=HomeworkOutputSerializer(many=True)
    )
    def get(self, request):
        filters = self.HomeworkFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        homework = homework_list(
            user=request.user,
            school_class_id=filters.validated_data.get("school_class"),
            subject_id=filters.validated_data.get("subject"),
        )
        return paginated(self, homework, HomeworkOutputSerializer)

    @extend_schema(request=HomeworkCreateInputSerializer, responses={201: HomeworkOutputSerializer})
    def post(self, request):
        data = self.HomeworkCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        school_class, subject = assignable_class_and_subject(
            user=request.user,
            school_class_id=fields.pop("school_class"),
            subject_id=fields.pop("subject"),
        )
        homework, _ = homework_create(
            assigned_by=request.user,
            school_class=school_class,
            subject=subject,
            homework_id=fields.pop("id", None),
            **fields,
        )
        homework = access_homework(
            user=request.user, homework_id=homework.pk, with_attachments=True
        )
        return Response(HomeworkOutputSerializer(homework).data, status=status.HTTP_201_CREATED)


class HomeworkDetailApi(GenericAPIView):
    @extend_schema(responses=HomeworkOutputSerializer)
    def get(self, request, homework_id):
        homework = access_homework(
            user=request.user, homework_id=homework_id, with_attachments=True
        )
        return Response(HomeworkOutputSerializer(homework).data)


class AttachmentCreateApi(GenericAPIView):
    permission_classes = [TEACHING_ROLES]

    class AttachmentCreateInputSerializer(serializers.Serializer):
        files = serializers.ListField(child=serializers.FileField())

    @extend_schema(
        request=AttachmentCreateInputSerializer, responses={201: AttachmentSerializer(many=True)}
    )
    def post(self, request, homework_id):
        homework = access_homework_to_manage(user=request.user, homework_id=homework_id)
        data = self.AttachmentCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attachments = homework_attachments_add(
            homework=homework, files=data.validated_data["files"]
        )
        return Response(
            AttachmentSerializer(attachments, many=True).data, status=status.HTTP_201_CREATED
        )


class AttachmentDownloadApi(GenericAPIView):
    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, homework_id, attachment_id):
        attachment = access_attachment(
            user=request.user, homework_id=homework_id, attachment_id=attachment_id
        )
        return FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.name,
            content_type=attachment.content_type,
        )


class ExtensionSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    student = PersonSerializer()
    due_at = serializers.DateTimeField()
    reason = serializers.CharField()
    granted_by = PersonSerializer(allow_null=True)


class ExtensionListCreateApi(GenericAPIView):
    """Per-student extensions of one homework; only its teachers and the school's admins."""

    permission_classes = [TEACHING_ROLES]

    class ExtensionCreateInputSerializer(serializers.Serializer):
        student = serializers.UUIDField()
        due_at = serializers.DateTimeField()
        reason = serializers.CharField(max_length=200, required=False, default="")

    @extend_schema(responses=ExtensionSerializer(many=True))
    def get(self, request, homework_id):
        homework = access_homework_to_manage(user=request.user, homework_id=homework_id)
        return paginated(self, extension_list(homework=homework), ExtensionSerializer)

    @extend_schema(request=ExtensionCreateInputSerializer, responses={201: ExtensionSerializer})
    def post(self, request, homework_id):
        homework = access_homework_to_manage(user=request.user, homework_id=homework_id)
        data = self.ExtensionCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        student = student_of_class(
            school_class_id=homework.school_class_id,
            student_id=data.validated_data["student"],
            field="student",
        )
        extension = extension_grant(
            homework=homework,
            student=student,
            due_at=data.validated_data["due_at"],
            reason=data.validated_data["reason"],
            granted_by=request.user,
        )
        return Response(ExtensionSerializer(extension).data, status=status.HTTP_201_CREATED)


class SubmissionListCreateApi(GenericAPIView):
    """Students submit here; each caller lists the submissions they may see (a student their
    own, a guardian their children's, the class's subject teachers and admins everyone's)."""

    class SubmissionFilterSerializer(serializers.Serializer):
        student = serializers.UUIDField(required=False)
        all_versions = serializers.BooleanField(required=False, default=False)

    class SubmissionCreateInputSerializer(serializers.Serializer):
        id = serializers.UUIDField(required=False)
        text = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=SUBMISSION_TEXT_MAX_LENGTH
        )
        files = serializers.ListField(child=serializers.FileField(), required=False, default=list)

    def get_permissions(self):
        if self.request.method == "POST":
            return [roles("student")()]
        return [IsAuthenticated()]

    @extend_schema(
        parameters=[SubmissionFilterSerializer], responses=SubmissionOutputSerializer(many=True)
    )
    def get(self, request, homework_id):
        homework = access_homework(user=request.user, homework_id=homework_id)
        filters = self.SubmissionFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        submissions = submission_list(
            user=request.user,
            homework=homework,
            student_id=filters.validated_data.get("student"),
            all_versions=filters.validated_data["all_versions"],
        )
        return paginated(self, submissions, SubmissionOutputSerializer)

    @extend_schema(
        request=SubmissionCreateInputSerializer, responses={201: SubmissionOutputSerializer}
    )
    def post(self, request, homework_id):
        homework = access_homework(user=request.user, homework_id=homework_id)
        data = self.SubmissionCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        submission, _ = submission_create(
            homework=homework,
            student=request.user,
            text=data.validated_data["text"],
            files=data.validated_data["files"],
            submission_id=data.validated_data.get("id"),
        )
        # The service returns the row as stored, its related objects in hand: no second read.
        return Response(SubmissionOutputSerializer(submission).data, status=status.HTTP_201_CREATED)


class SubmissionDetailApi(GenericAPIView):
    @extend_schema(responses=SubmissionOutputSerializer)
    def get(self, request, homework_id, submission_id):
        homework = access_homework(user=request.user, homework_id=homework_id)
        submission = access_submission(
            user=request.user, homework=homework, submission_id=submission_id
        )
        return Response(SubmissionOutputSerializer(submission).data)


class SubmissionGradeApi(GenericAPIView):
    permission_classes = [TEACHING_ROLES]

    class SubmissionGradeInputSerializer(serializers.Serializer):
        score = serializers.DecimalField(max_digits=6, decimal_places=2)
        feedback = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=FEEDBACK_MAX_LENGTH
        )

    @extend_schema(request=SubmissionGradeInputSerializer, responses=SubmissionOutputSerializer)
    def post(self, request, homework_id, submission_id):
        homework = access_homework_to_manage(user=request.user, homework_id=homework_id)
        submission = access_submission(
            user=request.user, homework=homework, submission_id=submission_id
        )
        data = self.SubmissionGradeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        submission = submission_grade(
            homework=homework,
            submission=submission,
            grader=request.user,
            score=data.validated_data["score"],
            feedback=data.validated_data["feedback"],
        )
        return Response(SubmissionOutputSerializer(submission).data)


class SubmissionFileDownloadApi(GenericAPIView):
    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, homework_id, submission_id, index):
        homework = access_homework(user=request.user, homework_id=homework_id)
        submission = access_submission(
            user=request.user, homework=homework, submission_id=submission_id
        )
        if index >= len(submission.files):
            raise not_found("File")
        file = submission.files[index]
        return FileResponse(
            default_storage.open(file["path"], "rb"),
            as_attachment=True,
            filename=file["name"],
            content_type=file["content_type"],
        )
