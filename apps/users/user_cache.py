"""The request's user from the read cache: JWT requests authenticate without a database query.

Each cached user carries a stamp; the stamp lives under its own key and is replaced by a fresh
random value whenever the user changes (saved, deleted, updated in bulk). A cached user counts
only while its stamp is the current one, so a request that read the user from PostgreSQL just
before a change and stores it just after cannot bring the old user back (it stored the old
stamp), and an evicted stamp makes every older entry useless rather than valid again. Entries
also expire, which bounds what a change made while the read cache was unreachable can leave
behind.

The password hash never goes to Redis: a cached user has ``password`` deferred (Django loads it
from the database if something reads it, and a ``save()`` writes only the loaded fields).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from redis.exceptions import RedisError
from rest_framework_simplejwt import settings as jwt_settings
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import get_md5_hash_password

from apps.users.models import User

USER_CACHE_TIMEOUT_SECONDS = 10 * 60
# A stamp must outlive the entries made with it; when one expires, a new random stamp only makes
# the old entries useless, so it need not live forever (nor pile up for users long gone).
STAMP_TIMEOUT_SECONDS = 24 * 60 * 60
# The attribute a loaded user carries the digest that token revocation compares in.
PASSWORD_DIGEST = "_password_digest"  # noqa: S105 (an attribute name)
_CACHED_FIELDS = [field.attname for field in User._meta.concrete_fields if field.name != "password"]


def _keys(user_id: object) -> tuple[str, str]:
    return f"user:{user_id}", f"user-stamp:{user_id}"


def _entry(user: User, stamp: str) -> dict[str, Any]:
    from apps.users.tokens import token_stamp  # tokens builds on this module

    return {
        "stamp": stamp,
        "values": [getattr(user, name) for name in _CACHED_FIELDS],
        # What simplejwt's CHECK_REVOKE_TOKEN compares, so that check needs no password either.
        "password_digest": get_md5_hash_password(user.password),
        # What a token's revocation stamp is checked against (apps/users/tokens.py).
        "token_stamp": token_stamp(user),
    }


def _user_from_entry(entry: dict[str, Any]) -> User:
    from apps.users.tokens import TOKEN_STAMP_ATTR  # tokens builds on this module

    user = User.from_db("default", _CACHED_FIELDS, entry["values"])
    setattr(user, PASSWORD_DIGEST, entry["password_digest"])
    setattr(user, TOKEN_STAMP_ATTR, entry["token_stamp"])
    return user


def user_get_cached(*, user_id: object) -> User | None:
    """The user with this id, from the read cache when its entry is current, else from
    PostgreSQL (and then cached); None when there is no such user. With the read cache
    unreachable it answers from PostgreSQL alone."""
    data_key, stamp_key = _keys(user_id)
    try:
        found = cache.get_many([data_key, stamp_key])
        stamp, entry = found.get(stamp_key), found.get(data_key)
        if stamp is not None and entry is not None and entry.get("stamp") == stamp:
            return _user_from_entry(entry)
        if stamp is None:
            # The stamp is read before the database, so a change committed in between leaves
            # this request's entry with a stamp that is no longer current.
            cache.add(stamp_key, uuid.uuid4().hex, timeout=STAMP_TIMEOUT_SECONDS)
            stamp = cache.get(stamp_key)
    except RedisError:
        stamp = None
    try:
        user = User.objects.get(pk=user_id)
    except (User.DoesNotExist, ValidationError, ValueError, TypeError):
        return None
    setattr(user, PASSWORD_DIGEST, get_md5_hash_password(user.password))
    if stamp is not None:
        with contextlib.suppress(RedisError):
            cache.set(data_key, _entry(user, stamp), timeout=USER_CACHE_TIMEOUT_SECONDS)
    return user


def user_cache_invalidate(*, user_ids: Iterable[object]) -> None:
    """Make the cached copies of these users stale (new stamps) and drop them."""
    keys = [_keys(user_id) for user_id in user_ids]
    if not keys:
        return
    cache.set_many(
        {stamp_key: uuid.uuid4().hex for _, stamp_key in keys}, timeout=STAMP_TIMEOUT_SECONDS
    )
    cache.delete_many([data_key for data_key, _ in keys])


def user_cache_invalidate_on_commit(*, user_ids: Iterable[object]) -> None:
    """Invalidate once the change is committed (at once outside a transaction): invalidating
    earlier would let a request cache the old row again before the new one is visible."""
    user_ids = list(user_ids)
    if user_ids:
        transaction.on_commit(lambda: user_cache_invalidate(user_ids=user_ids))


def _invalidate_changed_user(sender: type[User], instance: User, **kwargs: Any) -> None:
    user_cache_invalidate_on_commit(user_ids=[instance.pk])


def connect_invalidation() -> None:
    """Follow every change of a user, whichever way it comes. Users change through Django's own
    code far more than through ours (the admin's forms, password change and reset, login's
    ``last_login``, ``createsuperuser``/``changepassword``, a school's cascading delete), so
    unlike the project's other side effects this one hangs on the model's signals: a missed
    deactivation or role change would keep authorising the old user. Bulk ``update()`` sends
    no signal; ``UserQuerySet.update`` covers it."""
    post_save.connect(_invalidate_changed_user, sender=User, dispatch_uid="user-cache-save")
    post_delete.connect(_invalidate_changed_user, sender=User, dispatch_uid="user-cache-delete")


class CachedJWTAuthentication(JWTAuthentication):
    """simplejwt's authentication with the user from ``user_get_cached``; the same checks
    (active user, the authentication rule, a token revoked by a password change)."""

    def get_user(self, validated_token: Token) -> User:  # type: ignore[override]
        # Looked up on each call: simplejwt rebinds its settings object when SIMPLE_JWT changes.
        api_settings = jwt_settings.api_settings
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError:
            raise InvalidToken("Token contained no recognizable user identification") from None
        user = user_get_cached(user_id=user_id)
        if user is None:
            raise AuthenticationFailed("User not found", code="user_not_found")
        if not user.is_active:
            raise AuthenticationFailed("User is inactive", code="user_inactive")
        if api_settings.CHECK_REVOKE_TOKEN and validated_token.get(
            api_settings.REVOKE_TOKEN_CLAIM
        ) != getattr(user, PASSWORD_DIGEST):
            raise AuthenticationFailed(
                "The user's password has been changed.", code="password_changed"
            )
        return user
