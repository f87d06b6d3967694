"""Changes to people's accounts."""

from __future__ import annotations

from django.db.models import F

from apps.users.models import User


def user_sign_out_everywhere(*, user: User) -> None:
    """End every session and JWT of ``user``: the next request with any of them is refused.

    The generation is raised in the database (not from the in-memory value), so two sign-outs at
    once both count and neither undoes the other.
    """
    User.objects.filter(pk=user.pk).update(token_generation=F("token_generation") + 1)
    user.refresh_from_db(fields=["token_generation"])
