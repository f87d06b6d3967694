# Helpers for scripts/run.sh: is a Redis answering at a URL, and start one that keeps its data.
redis_answers() {  # $1: redis URL
  "$PY" - "$1" <<'PYCODE' >/dev/null 2>&1
import sys, redis
redis.Redis.from_url(sys.argv[1], socket_connect_timeout=1).ping()
PYCODE
}

url_port() { "$PY" -c 'import sys, urllib.parse; print(urllib.parse.urlparse(sys.argv[1]).port or 6379)' "$1"; }

start_durable_redis() {  # $1: port, $2: data dir; AOF on, never evicts
  mkdir -p "$2"
  local dir
  dir="$(cd "$2" && pwd)"
  redis-server --port "$1" --bind 127.0.0.1 --daemonize yes \
    --appendonly yes --appendfsync everysec --maxmemory-policy noeviction \
    --dir "$dir" --logfile "$dir/redis.log" --pidfile "$dir/redis.pid"
  for _ in $(seq 50); do redis_answers "redis://127.0.0.1:$1/0" && return 0; sleep 0.1; done
  echo "redis-server on port $1 did not start; see $2/redis.log" >&2
  return 1
}
