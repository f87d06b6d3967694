"""The in-app inbox and notification preferences, for the mobile apps."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from apps.core.serializers import paginated
from apps.notifications.models import Notification, Preference
from apps.notifications.selectors import access_notification, inbox_of, unread_count
from apps.notifications.services import (
    notification_mark_read,
    notifications_mark_all_read,
    preference_update,
)


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "data", "student", "created_at", "read_at"]


class InboxApi(GenericAPIView):
    serializer_class = NotificationSerializer

    @extend_schema(
        summary="The caller's notifications, newest first",
        description="A page of notifications plus `unread`, the caller's unread count. "
        "`?unread=true` lists unread ones only.",
    )
    def get(self, request):
        queryset = inbox_of(user=request.user)
        if request.query_params.get("unread") in ("1", "true"):
            queryset = queryset.filter(read_at__isnull=True)
        response = paginated(self, queryset, NotificationSerializer)
        response.data = {"unread": unread_count(user=request.user), **response.data}
        return response


class ReadApi(GenericAPIView):
    serializer_class = NotificationSerializer

    @extend_schema(request=None, responses=NotificationSerializer, summary="Mark one as read")
    def post(self, request, notification_id):
        notification = access_notification(user=request.user, notification_id=notification_id)
        return Response(
            NotificationSerializer(notification_mark_read(notification=notification)).data
        )


class ReadAllSerializer(serializers.Serializer):
    marked = serializers.IntegerField()


class ReadAllApi(GenericAPIView):
    serializer_class = ReadAllSerializer

    @extend_schema(request=None, responses=ReadAllSerializer, summary="Mark everything as read")
    def post(self, request):
        return Response({"marked": notifications_mark_all_read(user=request.user)})


class PreferenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Preference
        fields = ["channels", "digest_kinds", "quiet_start", "quiet_end", "language", "sms_number"]


class PreferencesApi(GenericAPIView):
    serializer_class = PreferenceSerializer

    @extend_schema(responses=PreferenceSerializer, summary="The caller's notification preferences")
    def get(self, request):
        preference = Preference.objects.filter(user=request.user).first() or Preference(
            user=request.user
        )
        return Response(PreferenceSerializer(preference).data)

    @extend_schema(
        request=PreferenceSerializer,
        responses=PreferenceSerializer,
        summary="Change notification preferences (only the fields sent)",
    )
    def patch(self, request):
        serializer = PreferenceSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        preference = preference_update(user=request.user, **serializer.validated_data)
        return Response(PreferenceSerializer(preference).data, status=status.HTTP_200_OK)
