"""The buffer's payload serializer (django-redis's serializer slot): compact JSON.

JSON rather than pickle: payloads outlive deployments (they wait up to an hour or more), must be
readable by people in the dead-letter view, and must never execute code when loaded.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django_redis.serializers.base import BaseSerializer


class ExactJSONEncoder(DjangoJSONEncoder):
    """DjangoJSONEncoder cuts datetimes and times to milliseconds (as ECMA-262 does); a buffered
    row must store the same value a direct save would, so keep the microseconds."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


class CompactJSONSerializer(BaseSerializer):
    def dumps(self, value: Any) -> bytes:
        return json.dumps(value, cls=ExactJSONEncoder, separators=(",", ":")).encode()

    def loads(self, value: bytes) -> Any:
        return json.loads(value)
