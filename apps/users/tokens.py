"""Revocable JWTs: a per-user stamp in every token, refresh rotation with reuse detection.

A token is valid only while the stamp it carries equals the one computed from its user now.
The stamp is derived from the password hash and ``User.token_generation``, so a password change
or ``user_sign_out_everywhere`` makes every access and refresh token of that user worthless at
once, with no list of issued tokens to search. The check needs nothing but the user row, which
authentication loads anyway (and which a cache of users by id must drop when the user changes).

Refresh tokens rotate: each refresh blacklists the token it used and returns a new one. A
blacklisted refresh token presented again means two parties hold it (a thief and the owner), so
its user is signed out everywhere.
"""

from __future__ import annotations

import hmac
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.utils.crypto import salted_hmac
from rest_framework import exceptions
from rest_framework_simplejwt.exceptions import InvalidToken, TokenBackendError, TokenError
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer, TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from apps.users.models import User
from apps.users.user_cache import CachedJWTAuthentication

STAMP_CLAIM = "stamp"


TOKEN_STAMP_ATTR = "_token_stamp"  # noqa: S105 (an attribute name)


def token_stamp(user: User) -> str:
    # A user from the read cache carries its stamp (its password hash is not cached).
    cached = getattr(user, TOKEN_STAMP_ATTR, None)
    if cached is not None:
        return cached
    return salted_hmac(
        "schools24.users.token_stamp",
        f"{user.pk}:{user.password}:{user.token_generation}",
        algorithm="sha256",
    ).hexdigest()[:32]


def stamp_is_current(token: Any, user: Any) -> bool:
    return hmac.compare_digest(str(token.get(STAMP_CLAIM, "")), token_stamp(user))


class StampedRefreshToken(RefreshToken):
    @classmethod
    def for_user(cls, user: User) -> StampedRefreshToken:  # type: ignore[override]
        token = cast(StampedRefreshToken, super().for_user(user))
        # Copied into every access token made from this refresh token (and its rotations).
        token[STAMP_CLAIM] = token_stamp(user)
        return token


def access_token_for(user: User) -> str:
    """An access token alone (no refresh token, so nothing is recorded in the database)."""
    token = AccessToken.for_user(user)
    token[STAMP_CLAIM] = token_stamp(user)
    return str(token)


class StampedTokenObtainSerializer(TokenObtainPairSerializer):
    token_class = StampedRefreshToken


class RevocableJWTAuthentication(CachedJWTAuthentication):
    """The cache-first user (``user_cache``) plus the stamp check (the API and the websockets
    use it)."""

    def get_user(self, validated_token: Any) -> Any:
        user = super().get_user(validated_token)
        if not stamp_is_current(validated_token, user):
            raise exceptions.AuthenticationFailed(
                "This token has been revoked; log in again.", code="token_revoked"
            )
        return user


def reused_refresh_token_owner(raw_token: str) -> Any | None:
    """The user id of a genuine, unexpired refresh token that is already blacklisted."""
    try:
        payload = token_backend.decode(raw_token, verify=True)  # type: ignore[arg-type]
    except TokenBackendError:
        return None
    if payload.get(api_settings.TOKEN_TYPE_CLAIM) != "refresh":
        return None
    if not BlacklistedToken.objects.filter(token__jti=payload.get("jti")).exists():
        return None
    return payload.get(api_settings.USER_ID_CLAIM)


class RotatingRefreshSerializer(TokenRefreshSerializer):
    token_class = StampedRefreshToken

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        from apps.users.services import user_sign_out_everywhere

        try:
            refresh = self.token_class(attrs["refresh"])
        except TokenError as error:
            owner_id = reused_refresh_token_owner(attrs["refresh"])
            if owner_id is not None:
                user = get_user_model().objects.filter(pk=owner_id).first()
                if user is not None:
                    user_sign_out_everywhere(user=user)
            raise InvalidToken(str(error)) from error
        user = (
            get_user_model()
            .objects.filter(pk=refresh.payload.get(api_settings.USER_ID_CLAIM))
            .first()
        )
        if user is None or not user.is_active:
            raise exceptions.AuthenticationFailed(
                self.error_messages["no_active_account"], "no_active_account"
            )
        if not stamp_is_current(refresh, user):
            raise exceptions.AuthenticationFailed(
                "This token has been revoked; log in again.", code="token_revoked"
            )
        return super().validate(attrs)
