"""Early warnings for teachers and school admins."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView

from apps.analytics.models import EarlyWarning
from apps.analytics.selectors import warnings_visible_to
from apps.core.permissions import TEACHING_ROLES
from apps.core.serializers import PersonSerializer, paginated


class EarlyWarningSerializer(serializers.ModelSerializer):
    student = PersonSerializer()

    class Meta:
        model = EarlyWarning
        fields = ["id", "student", "kind", "value", "threshold", "reason", "raised_at"]


class EarlyWarningListApi(GenericAPIView):
    serializer_class = EarlyWarningSerializer
    permission_classes = [TEACHING_ROLES]

    @extend_schema(
        summary="Open early warnings",
        description="Teachers see their classes' students, school admins their school.",
    )
    def get(self, request):
        return paginated(self, warnings_visible_to(request.user), EarlyWarningSerializer)
