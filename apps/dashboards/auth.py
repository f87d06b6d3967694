"""Websocket authentication: the session cookie, or ``?token=<JWT access token>``."""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError


@database_sync_to_async
def _user_from_token(raw_token: str):
    authentication = JWTAuthentication()
    try:
        return authentication.get_user(authentication.get_validated_token(raw_token))
    except (InvalidToken, TokenError, AuthenticationFailed):
        # AuthenticationFailed: a valid token of a user since deactivated or deleted.
        return AnonymousUser()


class JWTQueryStringMiddleware:
    """Replace the scope's user with the token's user when ``?token=`` is present."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        query = parse_qs(scope.get("query_string", b"").decode())
        if "token" in query:
            scope = dict(scope, user=await _user_from_token(query["token"][0]))
        return await self.inner(scope, receive, send)


def websocket_auth_stack(inner):
    return AuthMiddlewareStack(JWTQueryStringMiddleware(inner))
