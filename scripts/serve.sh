#!/usr/bin/env bash
# One process of Schools24, by role. `make run` starts all of them; docker-compose.yml starts each
# in its own container with the same commands.
#   web     ASGI server (HTTP + websockets)      worker  Celery worker
#   beat    Celery Beat (DatabaseScheduler)      migrate apply migrations
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${VIRTUAL_ENV:-.venv}/bin"
[ -x "$BIN/python" ] || BIN="$(dirname "$(command -v python)")"
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"

case "${1:-}" in
  web) exec "$BIN/daphne" -b "$HOST" -p "$PORT" schools24.asgi:application ;;
  worker) exec "$BIN/celery" -A schools24 worker --loglevel INFO --concurrency "${CELERY_CONCURRENCY:-2}" ;;
  beat) exec "$BIN/celery" -A schools24 beat --loglevel INFO --pidfile= ;;
  migrate) exec "$BIN/python" manage.py migrate --noinput ;;
  *) echo "usage: scripts/serve.sh web|worker|beat|migrate" >&2; exit 2 ;;
esac
