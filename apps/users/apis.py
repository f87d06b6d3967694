"""Authentication endpoints (JWT) and the caller's own profile."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from apps.core.errors import error_body
from apps.users.auth import client_address, login_refusal
from apps.users.selectors import user_get_me
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


class MeApi(APIView):
    class OutputSerializer(serializers.Serializer):
        id = serializers.UUIDField()
        username = serializers.CharField()
        first_name = serializers.CharField()
        last_name = serializers.CharField()
        email = serializers.CharField()  # may be empty: not every pupil has an address
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
