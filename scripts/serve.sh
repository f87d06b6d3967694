#!/usr/bin/env bash
# One process of Schools24, by role. `make run` starts web, worker and beat; docker-compose.yml
# starts http, ws, router, worker and beat each in its own container, with the same commands.
#   web     everything on HOST:PORT: router + http + ws below, on unix sockets in RUN_DIR
#   http    gunicorn, sync WSGI workers: the API, the pages, static files (all but /ws/)
#   ws      daphne, ASGI: the websockets under /ws/
#   router  the one port clients use: /ws/ to ws, everything else to http (schools24/router.py)
#   worker  Celery worker            beat  Celery Beat (DatabaseScheduler)
#   migrate apply migrations
# Sync WSGI workers serve Django's sync views several times faster than an ASGI server can on
# small machines (README, "Serving HTTP"); websockets need ASGI, so only /ws/ goes there.
#
# Stopping (docs/deploy.md, "Stopping"): SIGTERM or SIGINT lets work in flight finish within
# SHUTDOWN_GRACE_SECONDS (default 25; keep it below the supervisor's kill timeout, which is
# docker compose's stop_grace_period), then exits 0. `web` forwards the signal: the router stops
# accepting and waits for its connections while daphne closes websockets with 1001 (going away);
# once the router is done, gunicorn is stopped (its workers finish their request). Each single
# role is exec'd, so the signal reaches the server itself; a Celery worker's SIGTERM is its warm
# shutdown (the task in hand finishes; with acks_late an interrupted one is delivered again).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${VIRTUAL_ENV:-.venv}/bin"
[ -x "$BIN/python" ] || BIN="$(dirname "$(command -v python)")"
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
# Where each part listens when started alone (docker-compose); `web` uses unix sockets instead.
HTTP_BIND="${HTTP_BIND:-$HOST:8001}"
WS_BIND="${WS_BIND:-$HOST:8002}"
# What the router forwards to: HOST:PORT or unix:PATH.
HTTP_UPSTREAM="${HTTP_UPSTREAM:-$HTTP_BIND}"
WS_UPSTREAM="${WS_UPSTREAM:-$WS_BIND}"
# Sync workers wait on PostgreSQL and Redis for much of a request, so more than one per core.
WEB_CONCURRENCY="${WEB_CONCURRENCY:-$((2 * $(nproc) + 1))}"
# Only the router may tell gunicorn who the client is (PROXY protocol); on a unix socket that
# holds by itself, on a network the router's address must be listed (docker-compose sets it).
PROXY_ALLOW_FROM="${PROXY_ALLOW_FROM:-127.0.0.1,::1}"
SHUTDOWN_GRACE_SECONDS="${SHUTDOWN_GRACE_SECONDS:-25}"
export SHUTDOWN_GRACE_SECONDS
# Production logs one JSON object per line (schools24/logconfig.py); the router and gunicorn's
# own lines follow LOG_FORMAT too.
if [ -z "${LOG_FORMAT:-}" ] && [ "${DJANGO_SETTINGS_MODULE:-}" = "schools24.settings.production" ]; then
  export LOG_FORMAT=json
fi

# The gunicorn workers are separate processes: prometheus_client keeps each one's metrics in
# files here and /metrics sums them (apps/core/metrics.py). Emptied at start: values of a
# previous server must not be added to this one's.
metrics_dir() {
  export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-${RUN_DIR:-var/run}/prometheus}"
  mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
  find "$PROMETHEUS_MULTIPROC_DIR" -maxdepth 1 -name '*.db' -type f -delete
}

# Prometheus finds every http container by DNS and scrapes each by its address, so the Host it
# sends is that address (Host: 10.0.3.7:8001). With ALLOWED_HOSTS_ADD_OWN_ADDRESSES=true the
# http role also accepts this machine's own IPv4 addresses as hosts (docker-compose.yml sets it).
own_addresses() {
  hostname -I 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+(\.[0-9]+){3}$' | paste -sd, - || true
}

allow_own_addresses() {
  [ "${ALLOWED_HOSTS_ADD_OWN_ADDRESSES:-false}" = true ] || return 0
  local own
  own="$(own_addresses)"
  if [ -z "${DJANGO_ALLOWED_HOSTS:-}" ] || [ -z "$own" ]; then
    echo "ALLOWED_HOSTS_ADD_OWN_ADDRESSES: needs DJANGO_ALLOWED_HOSTS and an address from 'hostname -I'; hosts unchanged" >&2
    return 0
  fi
  export DJANGO_ALLOWED_HOSTS="$DJANGO_ALLOWED_HOSTS,$own"
}

http() {
  metrics_dir
  allow_own_addresses
  exec "$BIN/gunicorn" schools24.wsgi:application --bind "$1" --workers "$WEB_CONCURRENCY" \
    --config scripts/gunicorn.conf.py \
    --worker-class sync --proxy-protocol v1 --proxy-allow-from "$PROXY_ALLOW_FROM" \
    --backlog 2048 --timeout "${WEB_TIMEOUT:-30}" --graceful-timeout "$SHUTDOWN_GRACE_SECONDS" \
    --no-control-socket \
    ${WEB_ACCESS_LOG:+--access-logfile "$WEB_ACCESS_LOG"}
}

ws() {
  case "$1" in
    unix:*) exec "$BIN/python" -m schools24.wsserver -u "${1#unix:}" schools24.asgi:application ;;
    *) exec "$BIN/python" -m schools24.wsserver -b "${1%:*}" -p "${1##*:}" schools24.asgi:application ;;
  esac
}

router() {
  exec "$BIN/python" -m schools24.router --bind "$HOST:$PORT" --http "$1" --ws "$2"
}

case "${1:-}" in
  web)
    run_dir="${RUN_DIR:-var/run}"
    mkdir -p "$run_dir"
    rm -f "$run_dir/http.sock" "$run_dir/ws.sock"
    (http "unix:$run_dir/http.sock") & http_pid=$!
    (ws "unix:$run_dir/ws.sock") & ws_pid=$!
    (router "unix:$run_dir/http.sock" "unix:$run_dir/ws.sock") & router_pid=$!
    pids=("$http_pid" "$ws_pid" "$router_pid")
    graceful_stop() {
      trap - INT TERM
      # The router stops accepting and drains; daphne closes its websockets (which ends the
      # router's websocket connections). gunicorn serves until the router is done.
      kill -TERM "$router_pid" "$ws_pid" 2>/dev/null || true
      local status=0
      wait "$router_pid" || status=1
      kill -TERM "$http_pid" 2>/dev/null || true
      wait "$http_pid" || status=1
      wait "$ws_pid" || status=1
      exit "$status"
    }
    trap graceful_stop INT TERM
    # Whatever happens, nothing of ours outlives this script.
    trap 'kill -KILL "${pids[@]}" 2>/dev/null || true' EXIT
    # One part gone means the port no longer serves everything: stop the rest, exit non-zero.
    wait -n "${pids[@]}" || true
    trap - INT TERM
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
    exit 1
    ;;
  http) http "$HTTP_BIND" ;;
  ws) ws "$WS_BIND" ;;
  router) router "$HTTP_UPSTREAM" "$WS_UPSTREAM" ;;
  worker) exec "$BIN/celery" -A schools24 worker --loglevel INFO --concurrency "${CELERY_CONCURRENCY:-2}" ;;
  beat) exec "$BIN/celery" -A schools24 beat --loglevel INFO --pidfile= ;;
  migrate) exec "$BIN/python" manage.py migrate --noinput ;;
  *) echo "usage: scripts/serve.sh web|http|ws|router|worker|beat|migrate" >&2; exit 2 ;;
esac
