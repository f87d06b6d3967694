"""What the buffer holds right now, for the admin page, the status command and /metrics."""

from __future__ import annotations

from typing import Any

from apps.writebuffer.cache import buffer_client
from apps.writebuffer.connection import buffer_settings
from apps.writebuffer.models import SyncRun
from apps.writebuffer.registry import registrations


def buffer_status(*, dead_letter_limit: int = 50) -> dict[str, Any]:
    client = buffer_client()
    models = []
    for registration in registrations():
        status = client.model_status(registration.label)
        models.append(
            {
                "model": registration.label,
                "policy": str(registration.policy),
                **status,
                "dead_letter_list": client.dead_letters(registration.label, dead_letter_limit),
            }
        )
    last = SyncRun.objects.exclude(status=SyncRun.Status.SKIPPED).first()
    return {
        "models": models,
        "pending": sum(m["pending"] for m in models),
        "bytes": sum(m["bytes"] for m in models),
        "oldest_age_seconds": max((m["oldest_age_seconds"] for m in models), default=0.0),
        "dead_letters": sum(m["dead_letters"] for m in models),
        "last_sync": None
        if last is None
        else {
            "started_at": last.started_at.isoformat(),
            "finished_at": last.finished_at.isoformat() if last.finished_at else None,
            "status": last.status,
            "trigger": last.trigger,
            "records_synced": last.records_synced,
            "records_failed": last.records_failed,
            "dead_lettered": last.dead_lettered,
            "duration_seconds": last.duration_seconds,
        },
    }


# Durability rules of the buffer's Redis: without an append-only file a restart loses the buffer,
# and an evicting ``maxmemory-policy`` lets Redis drop unsynced entries under memory pressure.
def buffer_redis_durability(info_persistence: dict, info_memory: dict) -> list[str]:
    """Reasons this Redis could lose buffered writes (empty when it is safe)."""
    problems = []
    if not int(info_persistence.get("aof_enabled", 0)):
        problems.append("append-only file is off: a restart would lose buffered writes")
    policy = info_memory.get("maxmemory_policy", "noeviction")
    if policy != "noeviction":
        problems.append(
            f"maxmemory-policy is {policy}: Redis may evict unsynced writes (use noeviction)"
        )
    return problems


def buffer_durability_problems() -> list[str]:
    """Why the buffer's Redis could lose acknowledged writes (empty when it is safe); raises
    the Redis error when it cannot be asked. On a Redis Cluster every node is asked (a replica
    becomes the master on failover) and each problem names its node."""
    infos = buffer_client().node_infos("persistence", "memory", "replication")
    wanted = int(buffer_settings().get("MIN_REPLICAS", 0))
    problems = []
    for name, info in sorted(infos.items()):
        found = buffer_redis_durability(info, info)
        replicas = int(info.get("connected_slaves", 0))
        if info.get("role") == "master" and replicas < wanted:
            found.append(
                f"{replicas} replica(s) connected, fewer than WRITE_BUFFER_MIN_REPLICAS={wanted}: "
                "no write is acknowledged through the buffer (each goes to the database or is "
                "refused) until enough replicas are attached"
            )
        problems.extend(found if len(infos) == 1 else [f"{name}: {problem}" for problem in found])
    return problems
