#!/usr/bin/env bash
# `make test`: lint, type-check, prove the embedded SQLite default migrates, then the whole test suite against
# real PostgreSQL and real Redis (DATABASE_URL / REDIS_URL, defaulting to the local servers).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
source scripts/redis.sh

export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/schools24}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
export WRITE_BUFFER_REDIS_URL="${WRITE_BUFFER_REDIS_URL:-${REDIS_URL%/*}/1}"
export CELERY_BROKER_URL="${CELERY_BROKER_URL:-${REDIS_URL%/*}/2}"

echo "== lint (ruff)"
.venv/bin/ruff check .
.venv/bin/ruff format --check .

echo "== types (mypy)"
.venv/bin/mypy

if ! redis_answers "$REDIS_URL"; then
  echo "No Redis answers at $REDIS_URL: start one (redis-server --daemonize yes) or set REDIS_URL." >&2
  exit 1
fi
if ! "$PY" -c "import psycopg, sys; psycopg.connect(sys.argv[1].replace('/schools24', '/postgres'), connect_timeout=3).close()" "$DATABASE_URL" 2>/dev/null; then
  echo "No PostgreSQL answers at $DATABASE_URL: start it or set DATABASE_URL." >&2
  exit 1
fi

echo "== the embedded default: migrate and check on SQLite"
sqlite_dir=$(mktemp -d)
DATABASE_URL="sqlite:///$sqlite_dir/db.sqlite3" DJANGO_SETTINGS_MODULE=schools24.settings.local \
  $PY manage.py migrate --noinput -v 0
DATABASE_URL="sqlite:///$sqlite_dir/db.sqlite3" DJANGO_SETTINGS_MODULE=schools24.settings.local \
  $PY manage.py check
rm -rf "$sqlite_dir"

# Test databases of runs that died before dropping theirs (named test_schools24_<pid>).
for stale in $("$PY" - "$DATABASE_URL" <<'PYCODE'
import os, sys, psycopg
with psycopg.connect(sys.argv[1].rsplit("/", 1)[0] + "/postgres", connect_timeout=3) as db:
    for (name,) in db.execute("SELECT datname FROM pg_database WHERE datname LIKE 'test_schools24_%'"):
        pid = name.rsplit("_", 1)[1]
        try:
            os.kill(int(pid), 0)
        except (ValueError, ProcessLookupError):
            print(name)
        except PermissionError:
            pass
PYCODE
); do
  "$PY" -c "import psycopg, sys; c = psycopg.connect(sys.argv[1], autocommit=True); c.execute('DROP DATABASE IF EXISTS \"' + sys.argv[2] + '\" WITH (FORCE)')" "${DATABASE_URL%/*}/postgres" "$stale" && echo "dropped stale test database $stale"
done

echo "== tests (PostgreSQL: $DATABASE_URL, Redis: $REDIS_URL)"
exec .venv/bin/pytest --create-db "$@"
