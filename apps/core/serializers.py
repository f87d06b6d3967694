"""Output pieces every API shares: a person, a named object, one page of a list."""

from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response


class PersonSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    username = serializers.CharField()
    full_name = serializers.CharField(source="get_full_name")


class NamedSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField(source="__str__")


def paginated(view: GenericAPIView, items, serializer_class) -> Response:
    """One page of ``items`` (a queryset or a list with pending rows merged in)."""
    page = view.paginate_queryset(items)
    return view.get_paginated_response(serializer_class(page, many=True).data)
