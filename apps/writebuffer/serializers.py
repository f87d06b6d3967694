"""The buffer's payload serializer (django-redis's serializer slot): compact JSON.

JSON rather than pickle: payloads outlive deployments (they wait up to an hour or more), must be
readable by people in the dead-letter view, and must never execute code when loaded.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django_redis.serializers.base import BaseSerializer


class CompactJSONSerializer(BaseSerializer):
    def dumps(self, value: Any) -> bytes:
        return json.dumps(value, cls=DjangoJSONEncoder, separators=(",", ":")).encode()

    def loads(self, value: bytes) -> Any:
        return json.loads(value)
