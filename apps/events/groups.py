"""Channel-layer group names, one place for publishers and websocket consumers to agree on."""

from __future__ import annotations


def school_group(school_id: object) -> str:
    return f"school.{school_id}"


def class_group(class_id: object) -> str:
    return f"class.{class_id}"


def user_group(user_id: object) -> str:
    return f"user.{user_id}"


def groups_for(
    *, school_id: object, class_ids: tuple[str, ...], user_ids: tuple[str, ...]
) -> list[str]:
    return [
        school_group(school_id),
        *(class_group(c) for c in class_ids),
        *(user_group(u) for u in user_ids),
    ]
