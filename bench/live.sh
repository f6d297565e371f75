#!/usr/bin/env bash
# Live-update benchmark (issue 5): two release instances on one PostgreSQL database (demo world)
# and one Redis, then examples/live_bench.rs: event latency A→B over 1,000 events and 10,000
# idle subscribers on B with B's RSS.
# Usage: bash bench/live.sh   (PostgreSQL on 127.0.0.1:5432 as root, Redis on 6379)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PG="postgres://root@127.0.0.1:5432"
DB="fupin_live_bench"
REDIS="redis://127.0.0.1:6379"
EVENTS="${EVENTS:-1000}"
IDLE="${IDLE:-10000}"
PROFILE="${PROFILE:-release}"   # PROFILE=debug measures the unoptimised build
bin="./target/$PROFILE"
ulimit -n "$(ulimit -Hn)"  # 10,000 sockets need 10,000 descriptors on each side

if [ "$PROFILE" = release ]; then
  cargo build --release --locked --bin fupin-market --example live_bench
else
  cargo build --locked --bin fupin-market --example live_bench
fi
psql "$PG/test" -qc "DROP DATABASE IF EXISTS $DB" -qc "CREATE DATABASE $DB"
export DATABASE_URL="$PG/$DB" REDIS_URL="$REDIS" JWT_SECRET="live-bench-secret-0123456789abcdefghij"
export RATE_LIMIT_IP_PER_MINUTE=0 RATE_LIMIT_USER_PER_MINUTE=0 UNSOLD_SCAN_INTERVAL_SECS=0 RUST_LOG=warn
$bin/fupin-market seed-demo >/dev/null
data="$(mktemp -d)"
DATA_DIR="$data/a" BIND_ADDR=127.0.0.1:18081 $bin/fupin-market serve >"$data/a.log" 2>&1 &
a=$!
DATA_DIR="$data/b" BIND_ADDR=127.0.0.1:18082 $bin/fupin-market serve >"$data/b.log" 2>&1 &
b=$!
trap 'kill $a $b 2>/dev/null || true' EXIT
for port in 18081 18082; do
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/readyz" 2>/dev/null | grep -q '"events":"shared"' && break; sleep 0.2; done
done
$bin/examples/live_bench --a http://127.0.0.1:18081 --b http://127.0.0.1:18082 \
  --b-pid "$b" --events "$EVENTS" --idle "$IDLE"
