#!/usr/bin/env bash
# The read replica: a streaming standby of the primary (docker-compose.yml, postgres-replica).
# On first start (empty data directory) it copies the primary with pg_basebackup -R, which
# writes standby.signal and the primary_conninfo to reach it; afterwards it just starts, and
# PostgreSQL streams and replays the primary's WAL. Read-only: writes and migrations fail here.
set -euo pipefail
PGDATA="${PGDATA:-/var/lib/postgresql/data}"
mkdir -p "$PGDATA"
chown postgres:postgres "$PGDATA"
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  echo "copying the primary ($PRIMARY_HOST) into $PGDATA"
  until pg_isready -h "$PRIMARY_HOST" -p 5432 -q; do sleep 1; done
  PGPASSWORD="$REPLICATION_PASSWORD" gosu postgres pg_basebackup -h "$PRIMARY_HOST" -p 5432 \
    -U "$REPLICATION_USER" -D "$PGDATA" -R -X stream -S "$REPLICATION_SLOT" --progress
fi
# hot_standby_feedback: a long report on the replica is not cancelled by the primary's vacuum
# (at the price of some bloat on the primary while it runs).
exec gosu postgres postgres -c hot_standby=on -c hot_standby_feedback=on \
  -c max_connections="${POSTGRES_MAX_CONNECTIONS:-200}"
