#!/usr/bin/env bash
# `make run`: migrate, seed a demo school into an empty database, then run the web server (HTTP
# and websockets on one port: scripts/serve.sh web), a Celery worker and Celery Beat together.
# Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
source scripts/redis.sh
mkdir -p var

export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
if ! redis_answers "$REDIS_URL"; then
  if command -v redis-server >/dev/null; then
    port=$(url_port "$REDIS_URL")
    echo "No Redis at $REDIS_URL; starting one on port $port (data in var/redis)"
    start_durable_redis "$port" var/redis
  else
    echo "No Redis answers at $REDIS_URL and redis-server is not installed." >&2
    echo "Install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis)" >&2
    echo "or point REDIS_URL at a running Redis, then run 'make run' again." >&2
    exit 1
  fi
fi
# The write buffer needs a Redis that keeps its data (AOF) and never evicts. Unless one is
# configured, run our own on port 6380 with data under var/, so the machine's Redis is left as it is.
if [ -z "${WRITE_BUFFER_REDIS_URL:-}" ]; then
  export WRITE_BUFFER_REDIS_URL="redis://127.0.0.1:6380/0"
  if ! redis_answers "$WRITE_BUFFER_REDIS_URL"; then
    if ! command -v redis-server >/dev/null; then
      echo "redis-server is not installed: set WRITE_BUFFER_REDIS_URL to a Redis with AOF on." >&2
      exit 1
    fi
    echo "Starting the write buffer's Redis on port 6380 (append-only file in var/redis-buffer)"
    start_durable_redis 6380 var/redis-buffer
  fi
fi
export CELERY_BROKER_URL="${CELERY_BROKER_URL:-${REDIS_URL%/*}/2}"

# Every other manage.py command in this checkout reads these (schools24/settings/local.py), so
# `writebuffer status` in a second terminal looks at the same Redis and database as we do.
umask 077
{
  echo "# Written by make run: the addresses it uses. Read by schools24/settings/local.py."
  echo "REDIS_URL=$REDIS_URL"
  echo "WRITE_BUFFER_REDIS_URL=$WRITE_BUFFER_REDIS_URL"
  echo "CELERY_BROKER_URL=$CELERY_BROKER_URL"
  [ -z "${DATABASE_URL:-}" ] || echo "DATABASE_URL=$DATABASE_URL"
} > var/run.env.tmp
mv var/run.env.tmp var/run.env
umask 022

bash scripts/serve.sh migrate
$PY manage.py seed_demo --if-empty

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo "Stopping..."
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap cleanup INT TERM EXIT

bash scripts/serve.sh worker & pids+=($!)
bash scripts/serve.sh beat & pids+=($!)
bash scripts/serve.sh web & pids+=($!)
url="http://127.0.0.1:${PORT:-8000}"
# Say "running" only once Django answers: /livez/ 200 (while gunicorn starts, the router in front
# of it answers 503 itself); then /healthz/ says whether a dependency is not right.
if ! "$PY" - "$url" "${pids[@]}" <<'PYCODE'
import json, os, sys, time, urllib.error, urllib.request
url, pids = sys.argv[1], [int(pid) for pid in sys.argv[2:]]
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            sys.exit("A process stopped while starting; see its output above.")
    try:
        with urllib.request.urlopen(f"{url}/livez/", timeout=2):
            break
    except OSError:  # refused, or the router's 503 while the server starts
        time.sleep(0.5)
else:
    sys.exit(f"{url} did not answer within 120 s.")
try:
    urllib.request.urlopen(f"{url}/healthz/", timeout=5).close()
except urllib.error.HTTPError as exc:
    body = json.loads(exc.read() or b"{}")
    print(f"Warning: {url}/healthz/ answers {exc.code}: {json.dumps(body)}", file=sys.stderr)
except OSError as exc:
    print(f"Warning: {url}/healthz/ did not answer: {exc}", file=sys.stderr)
PYCODE
then
  exit 1
fi
echo "Schools24 is running on $url (admin: /admin/, API docs: /api/docs/). Ctrl-C stops it."
wait -n "${pids[@]}"
