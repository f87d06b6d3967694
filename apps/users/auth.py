"""Login throttling shared by every way in: the admin, the web login form and the JWT endpoint.

Django calls every authentication backend through ``authenticate()``, so throttling here covers
all of them with one mechanism. Failures are counted in the read cache per username and per client
address, in a fixed window that starts at the first failure; once either count is over its limit
the attempt is refused before the password is even checked.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest


class LoginThrottled(PermissionDenied):
    pass


def client_address(request: HttpRequest | None) -> str:
    if request is None:
        return "unknown"
    return request.META.get("REMOTE_ADDR") or "unknown"


def _keys(username: str, address: str) -> tuple[str, str]:
    return f"login-fail:user:{username.lower()}", f"login-fail:ip:{address}"


def login_is_throttled(*, username: str, address: str) -> bool:
    user_key, ip_key = _keys(username, address)
    counts = cache.get_many([user_key, ip_key])
    return (
        counts.get(user_key, 0) >= settings.LOGIN_FAILURES_PER_USERNAME
        or counts.get(ip_key, 0) >= settings.LOGIN_FAILURES_PER_IP
    )


def login_failure_record(*, username: str, address: str) -> None:
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    for key in _keys(username, address):
        cache.add(key, 0, timeout=window)
        cache.incr(key)


class ThrottledModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get("username", "")
        address = client_address(request)
        if login_is_throttled(username=username or "", address=address):
            raise LoginThrottled("Too many failed logins; wait and try again.")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            login_failure_record(username=username or "", address=address)
        return user
