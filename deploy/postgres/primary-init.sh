#!/usr/bin/env bash
# Runs once, when the primary's data directory is first created (the official image runs every
# script in /docker-entrypoint-initdb.d/ then, as the postgres user). It lets the standby in:
# a replication role, a physical replication slot (the primary keeps the WAL the standby has not
# received yet, bounded by max_slot_wal_keep_size) and a pg_hba line for replication.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE ROLE ${REPLICATION_USER} WITH REPLICATION LOGIN PASSWORD '${REPLICATION_PASSWORD}';
SELECT pg_create_physical_replication_slot('${REPLICATION_SLOT}');
SQL
echo "host replication ${REPLICATION_USER} all scram-sha-256" >> "$PGDATA/pg_hba.conf"
