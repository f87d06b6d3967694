"""OPTIONS answers for every view, including those with a serializer per method."""

from __future__ import annotations

from typing import Any

from rest_framework.metadata import SimpleMetadata


class Metadata(SimpleMetadata):
    """DRF describes POST/PUT fields from ``view.get_serializer()``; most views here have an
    ``InputSerializer`` per method instead of a ``serializer_class``, where that call fails (a
    500 for OPTIONS). They answer with the name, description and formats, and no field list:
    the OpenAPI schema at ``/api/schema/`` describes every input."""

    def determine_actions(self, request: Any, view: Any) -> dict[str, Any]:
        try:
            view.get_serializer_class()
            if "PUT" in view.allowed_methods and getattr(view, "queryset", None) is None:
                return {}
        except (AssertionError, AttributeError):
            return {}
        return super().determine_actions(request, view)
