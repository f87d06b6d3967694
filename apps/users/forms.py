"""Login forms of the web pages and the admin, refusing throttled attempts with their own error."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from apps.users.auth import client_address, login_refusal


class ThrottleCheckMixin:
    """Checks the throttle before the password, so the form can say "try again in N minutes"
    instead of "wrong password" (the backend refuses too, but ``authenticate()`` turns its
    refusal into the same None as a wrong password)."""

    throttled = False

    def clean(self) -> dict[str, Any]:
        username = self.data.get("username")  # type: ignore[attr-defined]
        if isinstance(username, str) and username:
            refusal = login_refusal(
                username=username,
                address=client_address(self.request),  # type: ignore[attr-defined]
            )
            if refusal is not None:
                self.throttled = True
                self.retry_after_seconds = refusal.retry_after_seconds
                raise forms.ValidationError(refusal.message, code="throttled")
        return super().clean()  # type: ignore[misc]


class ThrottledAuthenticationForm(ThrottleCheckMixin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(ThrottleCheckMixin, AdminAuthenticationForm):
    pass
