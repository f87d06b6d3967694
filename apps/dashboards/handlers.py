"""Dashboards react to every event in the process that published it, before the request that
caused it answers: that is what makes a caller's next read include their own write."""

from apps.dashboards.services import dashboards_invalidate
from apps.events.registry import listener

listener("dashboards.invalidate")(dashboards_invalidate)
