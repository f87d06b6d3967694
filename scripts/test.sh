#!/usr/bin/env bash
# `make test`: lint, prove the embedded SQLite default migrates, then the whole test suite against
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

echo "== tests (PostgreSQL: $DATABASE_URL, Redis: $REDIS_URL)"
exec .venv/bin/pytest --create-db "$@"
