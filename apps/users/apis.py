"""Authentication endpoints (JWT) and the caller's own profile."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from apps.core.errors import error_body
from apps.users.auth import client_address, login_is_throttled
from apps.users.selectors import user_get_me


class LoginRateThrottle(AnonRateThrottle):
    scope = "login"


class TokenObtainView(TokenObtainPairView):
    """Exchange a username and password for an access and a refresh token.

    Repeated failures for one username or from one address are refused with 429 for a while.
    """

    throttle_classes = [LoginRateThrottle]

    def post(self, request, *args, **kwargs):
        username = request.data.get("username") if hasattr(request.data, "get") else None
        if isinstance(username, str) and login_is_throttled(
            username=username, address=client_address(request)
        ):
            return Response(
                error_body("throttled", "Too many failed logins; wait and try again."),
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        return super().post(request, *args, **kwargs)


class TokenRefreshApi(TokenRefreshView):
    throttle_classes = [LoginRateThrottle]


class MeApi(APIView):
    class OutputSerializer(serializers.Serializer):
        id = serializers.UUIDField()
        username = serializers.CharField()
        first_name = serializers.CharField()
        last_name = serializers.CharField()
        email = serializers.EmailField()
        role = serializers.CharField()
        is_superuser = serializers.BooleanField()
        school = serializers.SerializerMethodField()

        def get_school(self, user) -> dict | None:
            if user.school is None:
                return None
            return {"id": str(user.school.id), "name": user.school.name, "slug": user.school.slug}

    @extend_schema(responses=OutputSerializer)
    def get(self, request):
        user = user_get_me(user=request.user)
        return Response(self.OutputSerializer(user).data)
