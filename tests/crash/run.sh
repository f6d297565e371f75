#!/usr/bin/env bash
# Crash test (issue 13, item 8): SIGKILL the server in the middle of a load of order cycles on
# PostgreSQL, restart it, and check that nothing was lost or half-done (examples/crash_load.rs
# says what is checked). Bounded in time; prints one "crash: N passed, M failed" line.
#
#   bash tests/crash/run.sh            # needs PostgreSQL at $PG_URL (and Redis at $REDIS_URL)
#
# Settings: PG_URL (postgres://root@127.0.0.1:5432/test), REDIS_URL, LOAD_SECONDS before the
# kill (8), BUYERS (8), PROFILE (debug|release; debug).
set -euo pipefail
export PGOPTIONS="-c client_min_messages=warning"
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
PG_URL="${PG_URL:-postgres://root@127.0.0.1:5432/test}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
LOAD_SECONDS="${LOAD_SECONDS:-8}"
BUYERS="${BUYERS:-8}"
PROFILE="${PROFILE:-debug}"
work="$(mktemp -d)"
db="fupin_crash_$$"
base="${PG_URL%/*}"
url="$base/$db"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
server=""

cleanup() {
  if [ -n "$server" ]; then kill -9 "$server" 2>/dev/null || true; fi
  psql "$PG_URL" -qAtc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

flags=(--locked --bin fupin-market --example crash_load)
[ "$PROFILE" = release ] && flags+=(--release)
cargo build -q "${flags[@]}"
bin="target/$PROFILE/fupin-market"
driver="target/$PROFILE/examples/crash_load"

psql "$PG_URL" -qAtc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
psql "$PG_URL" -qAtc "CREATE DATABASE $db" >/dev/null
DATABASE_URL="$url" timeout 300 "$bin" generate --scale tiny --divisions seed-data/divisions >"$work/generate.log" 2>&1

start_server() {
  DATABASE_URL="$url" REDIS_URL="$REDIS_URL" BIND_ADDR="127.0.0.1:$port" NO_DEMO=1 \
    JWT_SECRET="crash-test-secret-0123456789abcdef0123456789" \
    RATE_LIMIT_USER_PER_MINUTE=0 RATE_LIMIT_IP_PER_MINUTE=0 UNSOLD_SCAN_INTERVAL_SECS=0 \
    "$bin" serve >>"$work/server.log" 2>&1 &
  server=$!
  disown "$server" # its SIGKILL is the point: no job notice for it
  for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  echo "server did not become ready"; tail -n 50 "$work/server.log"; exit 1
}

start_server
timeout 240 "$driver" load --url "http://127.0.0.1:$port" --journal "$work/journal.jsonl" \
  --buyers "$BUYERS" --seconds 120 >"$work/load.json" &
load=$!
# Kill once the load has been placing orders for LOAD_SECONDS.
for _ in $(seq 1 240); do grep -q '"started"' "$work/journal.jsonl" 2>/dev/null && break; sleep 0.5; done
sleep "$LOAD_SECONDS"
kill -9 "$server"
while kill -0 "$server" 2>/dev/null; do sleep 0.05; done
killed_at=$(date +%s.%N)
wait "$load"
echo "load until the kill: $(cat "$work/load.json")"
echo "journal: $(grep -c '"send"' "$work/journal.jsonl") orders sent, $(grep -c '"answer"' "$work/journal.jsonl") answered"

start_server
echo "restarted and ready in $(python3 -c "print(round($(date +%s.%N) - $killed_at, 2))") s"
status=0
DATABASE_URL="$url" timeout 600 "$driver" check --url "http://127.0.0.1:$port" \
  --journal "$work/journal.jsonl" >"$work/check.json" || status=$?
echo "check: $(cat "$work/check.json")"
if [ "$status" -eq 0 ]; then echo "crash: 1 passed, 0 failed"; else echo "crash: 0 passed, 1 failed"; tail -n 30 "$work/server.log"; fi
exit "$status"
