"""JWT authentication with the user read cache-first, so a request with a valid token is
authenticated while PostgreSQL is away (buffered writes keep being accepted).

The cached user is invalidated whenever the user row is saved or deleted (``signals.py``): a
deactivated user or a changed role is seen by the next request.
"""

from __future__ import annotations

import uuid

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token

from apps.core.cachefirst import cache_first, invalidate
from apps.users.models import User


def _user_key(user_id: uuid.UUID | str) -> str:
    return f"user:{user_id}"


def invalidate_user(user_id: uuid.UUID | str) -> None:
    invalidate([_user_key(user_id)])


def cached_user(user_id: uuid.UUID | str) -> User | None:
    return cache_first(
        _user_key(user_id),
        lambda: User.objects.select_related("school").filter(pk=user_id).first(),
    )


class CachedUserJWTAuthentication(JWTAuthentication):
    # simplejwt types get_user with a TypeVar bound to its user classes; ours returns our User.
    def get_user(self, validated_token: Token) -> User:  # type: ignore[override]
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
            uuid.UUID(str(user_id))
        except (KeyError, ValueError) as exc:
            raise InvalidToken("Token contained no recognizable user identification") from exc
        user = cached_user(user_id)
        if user is None:
            raise AuthenticationFailed("User not found", code="user_not_found")
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed("User is inactive", code="user_inactive")
        return user


class CachedUserJWTScheme(SimpleJWTScheme):
    """The OpenAPI description is simplejwt's (the token is the same; only the lookup differs)."""

    target_class = "apps.users.authentication.CachedUserJWTAuthentication"
