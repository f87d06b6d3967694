"""Authentication endpoints (JWT) and the caller's own profile."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from apps.core.errors import error_body
from apps.core.serializers import PersonSerializer, paginated
from apps.users.auth import client_address, login_refusal
from apps.users.selectors import (
    access_class_students,
    class_detail,
    class_list,
    me_get,
    subject_list,
)
from apps.users.tokens import (
    RotatingRefreshSerializer,
    StampedRefreshToken,
    StampedTokenObtainSerializer,
    reused_refresh_token_owner,
)


class LoginRateThrottle(AnonRateThrottle):
    scope = "login"


class TokenObtainView(TokenObtainPairView):
    """Exchange a username and password for an access and a refresh token.

    Repeated failures for one username or from one address are refused with 429 for a while.
    """

    throttle_classes = [LoginRateThrottle]
    serializer_class = StampedTokenObtainSerializer

    def post(self, request, *args, **kwargs):
        username = request.data.get("username") if hasattr(request.data, "get") else None
        if isinstance(username, str):
            refusal = login_refusal(username=username, address=client_address(request))
            if refusal is not None:
                return Response(
                    error_body("throttled", refusal.message),
                    status=status.HTTP_429_TOO_MANY_REQUESTS,
                    headers={"Retry-After": str(refusal.retry_after_seconds)},
                )
        return super().post(request, *args, **kwargs)


class TokenRefreshApi(TokenRefreshView):
    """A new access token and a new refresh token; the refresh token sent is used up.

    Sending a used-up refresh token again signs its user out everywhere (it has been copied).
    """

    throttle_classes = [LoginRateThrottle]
    serializer_class = RotatingRefreshSerializer


class LogoutApi(APIView):
    """Revoke a refresh token. The access tokens made from it expire on their own (minutes)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [LoginRateThrottle]

    class LogoutInputSerializer(serializers.Serializer):
        refresh = serializers.CharField()

    @extend_schema(request=LogoutInputSerializer, responses={204: None})
    def post(self, request):
        data = self.LogoutInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        raw_token = data.validated_data["refresh"]
        try:
            token = StampedRefreshToken(raw_token)
        except TokenError as error:
            if reused_refresh_token_owner(raw_token) is not None:
                return Response(status=status.HTTP_204_NO_CONTENT)  # logging out twice is fine
            # A Response, not an exception: with no authentication classes DRF would turn the
            # 401 of InvalidToken into a 403.
            return Response(
                error_body("token_not_valid", str(error)), status=status.HTTP_401_UNAUTHORIZED
            )
        token.blacklist()
        return Response(status=status.HTTP_204_NO_CONTENT)


class ClassSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField(source="__str__")
    grade = serializers.IntegerField()
    section = serializers.CharField()
    academic_year = serializers.CharField()
    class_teacher = PersonSerializer(allow_null=True)


class SubjectSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    code = serializers.CharField()


class TeachingSerializer(serializers.Serializer):
    subject = SubjectSerializer()
    teacher = PersonSerializer()


class ChildSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="student.id")
    username = serializers.CharField(source="student.username")
    full_name = serializers.CharField(source="student.get_full_name")
    relationship = serializers.CharField()
    classes = ClassSerializer(many=True)


class MeApi(APIView):
    """The caller: id, username, role, school, and their classes (teachers, students) or
    children with their classes (guardians)."""

    class MeSerializer(serializers.Serializer):
        id = serializers.UUIDField(source="user.id")
        username = serializers.CharField(source="user.username")
        first_name = serializers.CharField(source="user.first_name")
        last_name = serializers.CharField(source="user.last_name")
        email = serializers.CharField(source="user.email")  # may be empty: not every pupil has one
        role = serializers.CharField(source="user.role")
        is_superuser = serializers.BooleanField(source="user.is_superuser")
        school = serializers.SerializerMethodField()
        classes = ClassSerializer(many=True)
        children = ChildSerializer(many=True)

        def get_school(self, me) -> dict | None:
            school = me.user.school
            if school is None:
                return None
            return {"id": str(school.id), "name": school.name, "slug": school.slug}

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(self.MeSerializer(me_get(user=request.user)).data)


class ClassListApi(GenericAPIView):
    """Classes the caller teaches, attends or whose children attend; a school admin's: all of
    the school's."""

    @extend_schema(responses=ClassSerializer(many=True))
    def get(self, request):
        return paginated(self, class_list(user=request.user), ClassSerializer)


class ClassDetailApi(GenericAPIView):
    """One class with its subjects and who teaches each."""

    class ClassDetailSerializer(serializers.Serializer):
        # The class's own fields as in the list, then its size and teaching.
        id = serializers.UUIDField(source="school_class.id")
        name = serializers.CharField(source="school_class.__str__")
        grade = serializers.IntegerField(source="school_class.grade")
        section = serializers.CharField(source="school_class.section")
        academic_year = serializers.CharField(source="school_class.academic_year")
        class_teacher = PersonSerializer(source="school_class.class_teacher", allow_null=True)
        student_count = serializers.IntegerField()
        teaching = TeachingSerializer(many=True)

    @extend_schema(responses=ClassDetailSerializer)
    def get(self, request, class_id):
        detail = class_detail(user=request.user, class_id=class_id)
        return Response(self.ClassDetailSerializer(detail).data)


class ClassStudentListApi(GenericAPIView):
    """A class list, for the class's teachers and the school's admins."""

    class ClassStudentSerializer(serializers.Serializer):
        id = serializers.UUIDField(source="student.id")
        username = serializers.CharField(source="student.username")
        full_name = serializers.CharField(source="student.get_full_name")
        roll_number = serializers.IntegerField(allow_null=True)

    @extend_schema(responses=ClassStudentSerializer(many=True))
    def get(self, request, class_id):
        enrolments = access_class_students(user=request.user, class_id=class_id)
        return paginated(self, enrolments, self.ClassStudentSerializer)


class SubjectListApi(GenericAPIView):
    """Subjects taught in the caller's classes; a school admin's: all of the school's."""

    @extend_schema(responses=SubjectSerializer(many=True))
    def get(self, request):
        return paginated(self, subject_list(user=request.user), SubjectSerializer)
