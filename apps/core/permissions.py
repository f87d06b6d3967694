"""Role checks for the API. Tenancy (which school) is enforced by selectors, not here."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission


class HasRole(BasePermission):
    """Allow callers whose role is in ``allowed_roles`` (operators always pass)."""

    allowed_roles: tuple[str, ...] = ()
    message = "Your role may not do this."

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if user.is_superuser:
            return True
        return user.school_id is not None and user.role in self.allowed_roles


def roles(*allowed: str) -> type[HasRole]:
    """``permission_classes = [roles("teacher", "school_admin")]``"""
    return type(f"HasRole_{'_'.join(allowed)}", (HasRole,), {"allowed_roles": allowed})


TEACHING_ROLES = roles("teacher", "school_admin")
