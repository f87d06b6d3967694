#!/usr/bin/env bash
# Measure the serving choice of scripts/serve.sh on this machine: the same Django behind
#   routed   serve.sh web: the router on one port, gunicorn (sync workers) behind it
#   gunicorn serve.sh http alone (no router): what the router costs
#   daphne   one ASGI process, as every request was served before
# with wrk (1 thread, 16 connections), rounds alternating, on /livez/ (a bare Django view behind
# the middleware) and GET /api/v1/me/ (JWT, DRF). Needs wrk and a migrated database with the demo
# school (make run, or manage.py seed_demo); DATABASE_URL/REDIS_URL as for make run.
# Usage: scripts/bench_serving.sh [SECONDS_PER_ROUND] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
rounds="${2:-3}"
command -v wrk >/dev/null || { echo "wrk is not installed (Debian: apt-get install wrk)" >&2; exit 1; }
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-schools24.settings.production}"
export DJANGO_SECRET_KEY="${DJANGO_SECRET_KEY:-bench-serving-$RANDOM$RANDOM}"
export DJANGO_ALLOWED_HOSTS="${DJANGO_ALLOWED_HOSTS:-127.0.0.1}"
base="${BENCH_PORT:-22040}"
run_dir=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$run_dir"; }
trap cleanup EXIT
PORT=$base RUN_DIR="$run_dir" setsid bash scripts/serve.sh web >"$run_dir/web.log" 2>&1 & pids+=($!)
HTTP_BIND="127.0.0.1:$((base + 1))" setsid bash scripts/serve.sh http >"$run_dir/http.log" 2>&1 & pids+=($!)
WS_BIND="127.0.0.1:$((base + 2))" setsid bash scripts/serve.sh ws >"$run_dir/ws.log" 2>&1 & pids+=($!)
declare -A port=([routed]=$base [gunicorn]=$((base + 1)) [daphne]=$((base + 2)))
for name in routed gunicorn daphne; do
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:${port[$name]}/livez/" >/dev/null && break; sleep 0.2; done
done
token=$(curl -sf -X POST -H 'Content-Type: application/json' \
  -d "{\"username\": \"${BENCH_USER:-student1}\", \"password\": \"${BENCH_PASSWORD:-schools24}\"}" \
  "http://127.0.0.1:$base/api/v1/auth/token/" | .venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)["access"])')
cat >"$run_dir/auth.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $token"
LUA
declare -A total
for round in $(seq "$rounds"); do
  for path in /livez/ /api/v1/me/; do
    for name in routed gunicorn daphne; do
      rate=$(wrk -t1 -c16 -d"${seconds}s" -s "$run_dir/auth.lua" "http://127.0.0.1:${port[$name]}$path" \
        | awk '/Requests\/sec/ {print $2}')
      total["$path $name"]=$(echo "${total["$path $name"]:-0} + $rate" | bc)
      echo "round $round $path $name: $rate req/s"
    done
  done
done
echo "== mean of $rounds rounds of ${seconds}s (wrk -t1 -c16), $(nproc) CPUs"
for path in /livez/ /api/v1/me/; do
  routed=$(echo "scale=1; ${total["$path routed"]} / $rounds" | bc)
  gunicorn=$(echo "scale=1; ${total["$path gunicorn"]} / $rounds" | bc)
  daphne=$(echo "scale=1; ${total["$path daphne"]} / $rounds" | bc)
  echo "$path routed $routed, gunicorn alone $gunicorn, daphne $daphne;" \
    "routed/gunicorn $(echo "scale=2; $routed / $gunicorn" | bc), routed/daphne $(echo "scale=2; $routed / $daphne" | bc)"
done
