"""REST endpoints: the caller's dashboard, a board's state, announcements and "show this" for
a class's teachers, board device logins for school admins."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.permissions import TEACHING_ROLES, roles
from apps.dashboards.registry import showable_kinds
from apps.dashboards.selectors import (
    access_board,
    access_board_device,
    access_board_to_manage,
    active_announcements,
    board_device_list,
    board_state,
    dashboard_get,
)
from apps.dashboards.services import (
    announcement_create,
    announcement_data,
    board_device_create,
    board_device_revoke,
    board_show,
    focus_data,
)

SCHOOL_ADMINS = roles("school_admin")


class DashboardApi(APIView):
    """The caller's dashboard (its shape depends on the caller's role; see the README)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        return Response(dashboard_get(user=request.user))


class BoardStateApi(APIView):
    """What a class's board shows now (the same data as the websocket's first message)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, class_id):
        school_class = access_board(user=request.user, class_id=class_id)
        return Response(board_state(school_class=school_class))


class AnnouncementSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    text = serializers.CharField()
    by = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


class AnnouncementListCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "AnnouncementInput"  # each view's input is its own schema component

        id = serializers.UUIDField(required=False)
        text = serializers.CharField(max_length=500)
        expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)

    def get_permissions(self):
        return [TEACHING_ROLES()] if self.request.method == "POST" else [IsAuthenticated()]

    @extend_schema(responses=AnnouncementSerializer(many=True))
    def get(self, request, class_id):
        school_class = access_board(user=request.user, class_id=class_id)
        return Response(
            [announcement_data(a) for a in active_announcements(school_class=school_class)]
        )

    # 201 for a new announcement; 200 when a client resends one with the same id (a retry).
    @extend_schema(
        request=InputSerializer,
        responses={201: AnnouncementSerializer, 200: AnnouncementSerializer},
    )
    def post(self, request, class_id):
        school_class = access_board_to_manage(user=request.user, class_id=class_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        announcement, created = announcement_create(
            school_class=school_class,
            text=data.validated_data["text"],
            expires_at=data.validated_data["expires_at"],
            created_by=request.user,
            announcement_id=data.validated_data.get("id"),
        )
        return Response(
            announcement_data(announcement),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class BoardShowApi(APIView):
    """Show a homework (or a quiz, once that app is installed) of this class on its board."""

    permission_classes = [TEACHING_ROLES]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "BoardShowInput"  # each view's input is its own schema component

        kind = serializers.CharField(max_length=30)
        id = serializers.UUIDField()

    @extend_schema(request=InputSerializer, responses=OpenApiTypes.OBJECT)
    def post(self, request, class_id):
        school_class = access_board_to_manage(user=request.user, class_id=class_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        focus = board_show(
            school_class=school_class,
            kind=data.validated_data["kind"],
            object_id=data.validated_data["id"],
            shown_by=request.user,
        )
        return Response(focus_data(focus) | {"kinds": showable_kinds()})


class BoardDeviceSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    school_class = serializers.UUIDField(source="school_class_id")
    created_at = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField(allow_null=True)


class BoardDeviceListCreateApi(APIView):
    """School admins issue board device logins; the token is in the 201 answer only."""

    permission_classes = [SCHOOL_ADMINS]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "BoardDeviceInput"  # each view's input is its own schema component

        name = serializers.CharField(max_length=100)
        school_class = serializers.UUIDField()

    @extend_schema(responses=BoardDeviceSerializer(many=True))
    def get(self, request):
        return Response(BoardDeviceSerializer(board_device_list(user=request.user), many=True).data)

    @extend_schema(request=InputSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        school_class = access_board_to_manage(
            user=request.user, class_id=data.validated_data["school_class"]
        )
        device, token = board_device_create(
            school_class=school_class, name=data.validated_data["name"], created_by=request.user
        )
        return Response(
            BoardDeviceSerializer(device).data | {"token": token}, status=status.HTTP_201_CREATED
        )


class BoardDeviceRevokeApi(APIView):
    permission_classes = [SCHOOL_ADMINS]

    @extend_schema(request=None, responses=BoardDeviceSerializer)
    def post(self, request, device_id):
        device = access_board_device(user=request.user, device_id=device_id)
        return Response(
            BoardDeviceSerializer(board_device_revoke(device=device, revoked_by=request.user)).data
        )
