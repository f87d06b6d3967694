"""Websocket authentication: the session cookie, ``?token=<JWT access token>``, or for a smart
board ``?board_token=<board device token>``."""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError


@database_sync_to_async
def _user_from_token(raw_token: str):
    authentication = JWTAuthentication()
    try:
        return authentication.get_user(authentication.get_validated_token(raw_token.encode()))
    except (InvalidToken, TokenError, AuthenticationFailed):
        # AuthenticationFailed: a valid token of a user since deactivated or deleted.
        return AnonymousUser()


@database_sync_to_async
def _board_device(raw_token: str):
    from apps.dashboards.selectors import board_device_for_token

    return board_device_for_token(raw_token=raw_token)


TOKEN_PARAMETERS = ("token", "board_token")


class JWTQueryStringMiddleware:
    """Replace the scope's user with the token's user when ``?token=`` is present; put a board
    device in ``scope["board_device"]`` when ``?board_token=`` names an active one."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        query = parse_qs(scope.get("query_string", b"").decode())
        if "token" in query:
            scope = dict(scope, user=await _user_from_token(query["token"][0]))
        if "board_token" in query:
            scope = dict(scope, board_device=await _board_device(query["board_token"][0]))
        return await self.inner(scope, receive, send)


def websocket_auth_stack(inner):
    return AuthMiddlewareStack(JWTQueryStringMiddleware(inner))


class BrowserOriginValidator(OriginValidator):
    """Refuse browser connections from other sites; let native apps in with a token.

    Browsers always send ``Origin`` on a websocket handshake, and it must be one of
    ALLOWED_HOSTS (a page elsewhere could otherwise ride on the session cookie). Native mobile
    clients send no ``Origin``; they authenticate with ``?token=``, which no other site can
    supply for them, so a connection without ``Origin`` is let through only with a token.
    """

    async def __call__(self, scope, receive, send):
        has_origin = any(name == b"origin" for name, _ in scope.get("headers", []))
        query = parse_qs(scope.get("query_string", b"").decode())
        has_token = any(name in query for name in TOKEN_PARAMETERS)
        if not has_origin and has_token:
            return await self.application(scope, receive, send)
        return await super().__call__(scope, receive, send)


def origin_checked(application):
    allowed_hosts = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed_hosts:
        allowed_hosts = ["localhost", "127.0.0.1", "[::1]"]
    return BrowserOriginValidator(application, allowed_hosts)
