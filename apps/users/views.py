"""The web login page and the admin's, answering 429 (with Retry-After) when throttled."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse

from apps.users.forms import ThrottledAdminAuthenticationForm, ThrottledAuthenticationForm


def _throttled_status(response: HttpResponse) -> HttpResponse:
    context = getattr(response, "context_data", None) or {}
    form = context.get("form")
    if form is not None and getattr(form, "throttled", False):
        response.status_code = 429
        response["Retry-After"] = str(form.retry_after_seconds)
    return response


class LoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm

    def form_invalid(self, form: Any) -> HttpResponse:
        return _throttled_status(super().form_invalid(form))


_admin_login = admin.site.login


def admin_login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
    return _throttled_status(_admin_login(request, extra_context))


def install_admin_login() -> None:
    admin.site.login_form = ThrottledAdminAuthenticationForm
    admin.site.login = admin_login  # type: ignore[method-assign]
