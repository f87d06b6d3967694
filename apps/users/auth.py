"""Login throttling shared by every way in: the admin, the web login form and the JWT endpoint.

Django calls every authentication backend through ``authenticate()``, so throttling here covers
all of them with one mechanism. Failures are counted in the read cache, each count in a fixed
window that starts at its first failure:

- per (username, address): guessing one person's password from one place. Over the limit, that
  username is refused from that address until the window ends.
- per username, from anywhere: guessing spread over many addresses.
- per address, for any username: one place trying many names.

The last two are what an attacker could use to lock someone else out (usernames are visible in
the API; a whole school shares one address behind NAT), so they never refuse a username at an
address where it has logged in successfully before. The owner keeps logging in from where they
usually do; a new place waits for the window to end (or an admin resets the password).

The client address is ``REMOTE_ADDR``, which ``apps.core.middleware.TrustedProxyMiddleware``
sets from ``X-Forwarded-For`` only as far as the configured number of proxies vouches for it.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

KNOWN_ADDRESSES_KEPT = 20


class LoginThrottled(PermissionDenied):
    pass


@dataclass(frozen=True)
class LoginRefusal:
    retry_after_seconds: int

    @property
    def message(self) -> str:
        minutes = max(1, math.ceil(self.retry_after_seconds / 60))
        unit = "minute" if minutes == 1 else "minutes"
        return f"Too many failed logins; try again in {minutes} {unit}."


def client_address(request: HttpRequest | None) -> str:
    if request is None:
        return "unknown"
    return request.META.get("REMOTE_ADDR") or "unknown"


def _name(username: str) -> str:
    # Hashed: a username is whatever the client sent, of any length.
    return hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]


def _pair_key(username: str, address: str) -> str:
    return f"login-fail:pair:{_name(username)}:{address}"


def _user_key(username: str) -> str:
    return f"login-fail:user:{_name(username)}"


def _address_key(address: str) -> str:
    return f"login-fail:ip:{address}"


def _known_key(username: str) -> str:
    return f"login-ok:{_name(username)}"


def _retry_after(key: str) -> int:
    ttl = cache.ttl(key)  # type: ignore[attr-defined]
    return int(ttl) if ttl and ttl > 0 else settings.LOGIN_FAILURE_WINDOW_SECONDS


def login_refusal(*, username: str, address: str) -> LoginRefusal | None:
    """Why a login attempt is refused before its password is checked, or None."""
    pair_key, user_key, address_key = (
        _pair_key(username, address),
        _user_key(username),
        _address_key(address),
    )
    counts = cache.get_many([pair_key, user_key, address_key])
    if counts.get(pair_key, 0) >= settings.LOGIN_FAILURES_PER_USERNAME_AND_ADDRESS:
        return LoginRefusal(_retry_after(pair_key))
    over = [
        key
        for key, limit in (
            (user_key, settings.LOGIN_FAILURES_PER_USERNAME),
            (address_key, settings.LOGIN_FAILURES_PER_ADDRESS),
        )
        if counts.get(key, 0) >= limit
    ]
    if not over or address in cache.get(_known_key(username), ()):
        return None
    return LoginRefusal(max(_retry_after(key) for key in over))


def login_failure_record(*, username: str, address: str) -> None:
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    for key in (_pair_key(username, address), _user_key(username), _address_key(address)):
        cache.add(key, 0, timeout=window)
        cache.incr(key)


def login_success_record(*, username: str, address: str) -> None:
    """Remember where a username logs in (its recent addresses), and forget its failures there."""
    known_key = _known_key(username)
    known = [known for known in cache.get(known_key, []) if known != address]
    known = [address, *known][:KNOWN_ADDRESSES_KEPT]
    cache.set(known_key, known, timeout=settings.LOGIN_KNOWN_ADDRESS_SECONDS)
    cache.delete(_pair_key(username, address))


class ThrottledModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get("username", "")
        username = username if isinstance(username, str) else ""
        address = client_address(request)
        refusal = login_refusal(username=username, address=address)
        if refusal is not None:
            raise LoginThrottled(refusal.message)
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            login_failure_record(username=username, address=address)
        else:
            login_success_record(username=username, address=address)
        return user
