#!/usr/bin/env bash
# Vestibule side by side with a peer OpenID Provider (panva's oidc-provider),
# on loopback, with the same workloads and the same load generators.
#
#   bench/run.sh                       # everything: 10–15 minutes on 2 cores
#   DURATION=5s SEED_USERS=10000 bench/run.sh
#
# Builds Vestibule in release, then measures in turn:
#   1. the CPU limits (crates/vestibule/examples/limits.rs): one argon2id
#      verification and one RS256 signature, with the server's crates;
#   2. Vestibule on SQLite (fresh temporary data directory), 3. Vestibule on
#      PostgreSQL (a fresh database on 127.0.0.1:5432, created and dropped
#      here), 4. the peer (bench/peer/op.mjs, npm oidc-provider 9.13.3);
#   5. start-up time and idle RSS with SEED_USERS users seeded directly
#      through the storage layer (crates/vestibule/examples/seed_users.rs).
# Cores: the server under test is pinned to core $SERVER_CPU, wrk and the
# login driver to core $LOAD_CPU (taskset). Everything listens on 127.0.0.1
# and every process started here is stopped on exit.
#
# Env: DURATION (10s) CONNS (16) LOGIN_WORKERS (8) SEED_USERS (100000)
#      SERVER_CPU (0) LOAD_CPU (1) PG_URL_BASE (postgres://root@127.0.0.1:5432)
#      SKIP_BUILD=1 SKIP_SQLITE=1 SKIP_PG=1 SKIP_PEER=1 CARGO_TARGET_DIR LOG_DIR
#      WORKLOADS=refresh,refresh-es256 (only these; default all, start-up included)
#      VESTIBULE_BIN (another build of the server, for A/B runs)
#      KEEP_WORK=1 (keep the temporary directory: data directories, logs)
#      PERF=<workload> (cc-rs256, refresh, login, …): profile that workload
#      with `perf record` and print the hottest symbols; PERF_FREQ (999),
#      PERF_CALL_GRAPH (fp; `dwarf,16384` for whole Rust stacks, at ~300 Hz)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
DURATION="${DURATION:-10s}"
CONNS="${CONNS:-16}"
LOGIN_WORKERS="${LOGIN_WORKERS:-8}"
SEED_USERS="${SEED_USERS:-100000}"
SERVER_CPU="${SERVER_CPU:-0}"
LOAD_CPU="${LOAD_CPU:-1}"
PG_URL_BASE="${PG_URL_BASE:-postgres://root@127.0.0.1:5432}"
LOG_DIR="${LOG_DIR:-/tmp/vestibule-bench-logs}"   # server logs are copied here at the end
VPORT=18080
PPORT=18100
REDIRECT_URI=http://127.0.0.1:3101/cb
MGMT_ID=bench-management-client
MGMT_SECRET=bench-management-secret-0123456789
USER_EMAIL=bench@example.com
USER_PASSWORD=Bench-Password-1
PEER_ID=bench-client
PEER_SECRET=bench-client-secret-0123456789
export BENCH_LUA="$HERE/lua"
LOGIN_SECONDS="${DURATION%s}"

WORK="$(mktemp -d /tmp/vestibule-bench.XXXXXX)"
RESULTS="$WORK/results.tsv"   # server  workload  rps  p50  p99  errors  hwm_kib  cpu_us_per_request
STARTUP="$WORK/startup.tsv"   # server  store  ready_ms  idle_rss_kib
LIMITS_TSV="$WORK/limits.tsv" # server  workload  limit_ms_before  limit_ms_after
PIDS=()
PG_DB=""

log() { printf '[bench] %s\n' "$*" >&2; }

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [ -n "$PG_DB" ]; then
    psql "$PG_URL_BASE/postgres" -qAtc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  mkdir -p "$LOG_DIR" && cp "$WORK"/*.log "$LOG_DIR"/ 2>/dev/null || true
  cp "$RESULTS" "$STARTUP" "$LIMITS_TSV" "$LOG_DIR"/ 2>/dev/null || true
  [ -n "${KEEP_WORK:-}" ] && log "kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------ prerequisites
for tool in curl jq node npm taskset psql; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 2; }
done
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >/dev/null
  else
    echo "wrk is missing: apt-get install -y wrk" >&2; exit 2
  fi
fi
CORES="$(nproc)"
if [ "$CORES" -lt 2 ]; then echo "needs 2 cores (server and load generator apart)" >&2; exit 2; fi

TARGET="${CARGO_TARGET_DIR:-$ROOT/target}/release"
if [ -z "${SKIP_BUILD:-}" ]; then
  log "building Vestibule in release (cargo build --release -p vestibule --bin vestibule, then the examples)"
  # Two invocations: built together, the examples' dev-dependencies change
  # the features of shared crates, and with them the crate ids in every
  # symbol name, so the binary would not be the one `cargo run --release`
  # makes and its start-up order (crates/vestibule/link) would not apply.
  (cd "$ROOT" && cargo build --release -q -p vestibule --bin vestibule \
    && cargo build --release -q -p vestibule --example limits --example seed_users)
fi
BIN="${VESTIBULE_BIN:-$TARGET/vestibule}"
if [ -z "${SKIP_PEER:-}" ] && [ ! -d "$HERE/peer/node_modules" ]; then
  log "installing the peer (npm ci in bench/peer)"
  (cd "$HERE/peer" && npm ci --no-audit --no-fund --silent)
fi

# ------------------------------------------------------------ helpers
now_ns() { date +%s%N; }
kib() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$2/status"; }

# Waits for URL to answer 200; prints the milliseconds since START_NS.
wait_ready() {
  local url="$1" start="$2" pid="$3"
  for _ in $(seq 1 20000); do
    if curl -s -o /dev/null -w '%{http_code}' "$url" 2>/dev/null | grep -q 200; then
      echo $(( ($(now_ns) - start) / 1000000 ))
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || { echo "server exited" >&2; return 1; }
  done
  echo "not ready: $url" >&2
  return 1
}

# start_vestibule LABEL DATA_DIR [DATABASE_URL]: sets VPID, READY_MS
start_vestibule() {
  local label="$1" data="$2" url="${3:-}"
  local start
  start="$(now_ns)"
  local env_url=()
  [ -z "$url" ] || env_url=(VESTIBULE_DATABASE_URL="$url")
  env "${env_url[@]}" VESTIBULE_LISTEN="127.0.0.1:$VPORT" VESTIBULE_DATA_DIR="$data" \
    VESTIBULE_MASTER_KEY="$MASTER_KEY" \
    VESTIBULE_BOOTSTRAP_CLIENT_ID="$MGMT_ID" VESTIBULE_BOOTSTRAP_CLIENT_SECRET="$MGMT_SECRET" \
    VESTIBULE_LOG=warn \
    taskset -c "$SERVER_CPU" "$BIN" serve >>"$WORK/$label.log" 2>&1 &
  VPID=$!
  PIDS+=("$VPID")
  READY_MS="$(taskset -c "$LOAD_CPU" bash -c "$(declare -f now_ns wait_ready); wait_ready http://127.0.0.1:$VPORT/readyz $start $VPID")"
}

stop_pid() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

record_startup() { # server store ready_ms pid
  sleep 1
  printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$(kib VmRSS "$4")" >>"$STARTUP"
}

# profile_start SERVER WORKLOAD PID: with PERF=<workload>, samples the
# server's stacks while that workload runs (perf record, cpu-clock, 999 Hz);
# the hottest symbols are printed into the log and the data kept in LOG_DIR.
profile_start() {
  PERF_PID=""
  [ "${PERF:-}" = "$2" ] || return 0
  mkdir -p "$LOG_DIR"
  PERF_DATA="$LOG_DIR/perf-$1-$2.data"
  perf record -q -e cpu-clock -F "${PERF_FREQ:-999}" --call-graph "${PERF_CALL_GRAPH:-fp}" -p "$3" -o "$PERF_DATA" -- sleep "${DURATION%s}" 2>/dev/null &
  PERF_PID=$!
}

profile_end() {
  [ -n "$PERF_PID" ] || return 0
  wait "$PERF_PID" 2>/dev/null || true
  log "hottest symbols ($PERF_DATA):"
  perf report -q -i "$PERF_DATA" --no-children --sort dso,symbol 2>/dev/null | grep -v '^$' | head -40 >&2 || true
}

# limit_now KEY: one quick measurement of a CPU limit (`sign_RS256_ms` or
# `argon2id_ms`) on the server's core. This machine's speed drifts by up to
# 2x within a minute (shared host), so each limit-relative workload is
# bracketed by measurements taken just before and just after it.
limit_now() {
  LIMITS_BUDGET_MS=800 taskset -c "$SERVER_CPU" "$TARGET/examples/limits" | sed -n "s/^$1=//p"
}

# bracket SERVER WORKLOAD KEY BEFORE: records the limit around a workload.
bracket() {
  printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$4" "$(limit_now "$3")" >>"$LIMITS_TSV"
}

# wanted WORKLOAD: whether WORKLOADS (a comma list; empty = all) names it.
wanted() { [ -z "${WORKLOADS:-}" ] || [[ ",$WORKLOADS," == *",$1,"* ]]; }

# cpu_ticks PID: user + system CPU time of a process (and its threads) so
# far, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# run_wrk SERVER WORKLOAD PID URL LUA
run_wrk() {
  local server="$1" workload="$2" pid="$3" url="$4" lua="$5" line
  wanted "$workload" || return 0
  profile_start "$server" "$workload" "$pid"
  CPU_BEFORE="$(cpu_ticks "$pid")"
  line="$(taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"$DURATION" --latency -s "$HERE/lua/$lua" "$url" | grep '^RESULT' || true)"
  profile_end
  [ -n "$line" ] || { log "$server $workload: wrk gave no result"; return 0; }
  record "$server" "$workload" "$pid" "$line"
}

# record SERVER WORKLOAD PID "RESULT k=v …"
record() {
  local server="$1" workload="$2" pid="$3" line="$4"
  local rps p50 p99 errors
  rps="$(sed -E 's/.*(rps|flows_per_s)=([0-9.]+).*/\2/' <<<"$line")"
  p50="$(sed -E 's/.*p50_ms=([0-9.na]+).*/\1/' <<<"$line")"
  p99="$(sed -E 's/.*p99_ms=([0-9.na]+).*/\1/' <<<"$line")"
  if [[ "$line" == *non2xx=* ]]; then
    errors=$(( $(sed -E 's/.*non2xx=([0-9]+).*/\1/' <<<"$line") + $(sed -E 's/.*socket_errors=([0-9]+).*/\1/' <<<"$line") ))
  else
    errors="$(sed -E 's/.*errors=([0-9]+).*/\1/' <<<"$line")"
  fi
  # The server's CPU time per request (or per login flow) over the
  # workload: steadier than req/s on a shared host, and counts the work
  # wherever it ran (the server's threads all share its core).
  local seconds cpu_us
  seconds="${DURATION%s}"
  cpu_us="$(awk -v a="$CPU_BEFORE" -v b="$(cpu_ticks "$pid")" -v hz="$(getconf CLK_TCK)" -v r="$rps" -v s="$seconds" \
    'BEGIN { n = r * s; if (n > 0) printf "%.0f", (b - a) * 1e6 / hz / n; else print "-" }')"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$server" "$workload" "$rps" "$p50" "$p99" "$errors" "$(kib VmHWM "$pid")" "$cpu_us" >>"$RESULTS"
  log "$server $workload: $rps/s p50 ${p50} ms p99 ${p99} ms errors $errors"
}

# login_driver ISSUER CLIENT_ID SECRET USER PASSWORD MODE ARGS…
login_driver() {
  local issuer="$1" id="$2" secret="$3" user="$4" password="$5"
  shift 5
  CLIENT_ID="$id" CLIENT_SECRET="$secret" LOGIN_USER="$user" LOGIN_PASSWORD="$password" \
    REDIRECT_URI="$REDIRECT_URI" taskset -c "$LOAD_CPU" node "$HERE/login-flow.mjs" "$1" "$issuer" "${@:2}"
}

# ------------------------------------------------------------ Vestibule
mgmt() { # METHOD PATH [JSON]
  curl -sS --fail-with-body -X "$1" -H "Authorization: Bearer $MGMT_TOKEN" -H 'Content-Type: application/json' \
    ${3:+-d "$3"} "http://127.0.0.1:$VPORT$2"
}

setup_vestibule() {
  local base="http://127.0.0.1:$VPORT"
  # The bootstrap Management API client authenticates with client_secret_post.
  MGMT_TOKEN="$(curl -sf -d client_id="$MGMT_ID" -d client_secret="$MGMT_SECRET" -d grant_type=client_credentials \
    -d "audience=$base/api/v2/" "$base/oauth/token" | jq -r .access_token)"
  local client
  client="$(mgmt POST /api/v2/clients "$(jq -nc --arg cb "$REDIRECT_URI" '{name:"bench-app", app_type:"regular_web",
    callbacks:[$cb], token_endpoint_auth_method:"client_secret_basic",
    grant_types:["authorization_code","refresh_token","client_credentials","http://auth0.com/oauth/grant-type/password-realm"]}')")"
  APP_ID="$(jq -r .client_id <<<"$client")"
  APP_SECRET="$(jq -r .client_secret <<<"$client")"
  # The same application with ES256 ID tokens (the refresh-es256 workload).
  client="$(mgmt POST /api/v2/clients "$(jq -nc --arg cb "$REDIRECT_URI" '{name:"bench-app-es256", app_type:"regular_web",
    callbacks:[$cb], token_endpoint_auth_method:"client_secret_basic", jwt_configuration:{alg:"ES256"},
    grant_types:["authorization_code","refresh_token"]}')")"
  ES_APP_ID="$(jq -r .client_id <<<"$client")"
  ES_APP_SECRET="$(jq -r .client_secret <<<"$client")"
  for alg in RS256 ES256 EdDSA; do
    local id="urn:bench:$(tr 'A-Z' 'a-z' <<<"$alg")"
    mgmt POST /api/v2/resource-servers "$(jq -nc --arg id "$id" --arg alg "$alg" \
      '{name:$id, identifier:$id, signing_alg:$alg, token_lifetime:86400, scopes:[{value:"read:all"}]}')" >/dev/null
    mgmt POST /api/v2/client-grants "$(jq -nc --arg c "$APP_ID" --arg a "$id" '{client_id:$c, audience:$a, scope:["read:all"]}')" >/dev/null
  done
  CONNECTION="$(mgmt POST /api/v2/connections "$(jq -nc --arg c "$APP_ID" --arg e "$ES_APP_ID" '{name:"bench-db", strategy:"auth0", enabled_clients:[$c, $e]}')")"
  CONNECTION_ID="$(jq -r .id <<<"$CONNECTION")"
  curl -sf -H 'Content-Type: application/json' "$base/dbconnections/signup" \
    -d "$(jq -nc --arg c "$APP_ID" --arg e "$USER_EMAIL" --arg p "$USER_PASSWORD" '{client_id:$c, email:$e, password:$p, connection:"bench-db"}')" >/dev/null
}

bench_vestibule() { # LABEL DATA_DIR [DATABASE_URL]
  local server="$1" data="$2" url="${3:-}" base="http://127.0.0.1:$VPORT"
  log "starting Vestibule ($server) on core $SERVER_CPU"
  start_vestibule "$server" "$data" "$url"
  record_startup "$server" "empty" "$READY_MS" "$VPID"
  setup_vestibule
  local pid="$VPID"
  run_wrk "$server" discovery "$pid" "$base/.well-known/openid-configuration" get.lua
  run_wrk "$server" jwks "$pid" "$base/.well-known/jwks.json" get.lua
  local before
  for alg in rs256 es256 eddsa; do
    wanted "cc-$alg" || continue
    [ "$alg" != rs256 ] || before="$(limit_now sign_RS256_ms)"
    CLIENT_ID="$APP_ID" CLIENT_SECRET="$APP_SECRET" CC_AUDIENCE="urn:bench:$alg" \
      run_wrk "$server" "cc-$alg" "$pid" "$base/oauth/token" token-cc.lua
    [ "$alg" != rs256 ] || bracket "$server" cc-rs256 sign_RS256_ms "$before"
  done
  if wanted refresh; then
    login_driver "$base" "$APP_ID" "$APP_SECRET" "$USER_EMAIL" "$USER_PASSWORD" seed "$((2 * CONNS))" >"$WORK/seeds-$server"
    local before_refresh
    before_refresh="$(limit_now sign_RS256_ms)"
    CLIENT_ID="$APP_ID" CLIENT_SECRET="$APP_SECRET" REFRESH_SEEDS="$WORK/seeds-$server" \
      run_wrk "$server" refresh "$pid" "$base/oauth/token" refresh.lua
    bracket "$server" refresh sign_RS256_ms "$before_refresh"
  fi
  if wanted refresh-es256; then
    login_driver "$base" "$ES_APP_ID" "$ES_APP_SECRET" "$USER_EMAIL" "$USER_PASSWORD" seed "$((2 * CONNS))" >"$WORK/seeds-es-$server"
    CLIENT_ID="$ES_APP_ID" CLIENT_SECRET="$ES_APP_SECRET" REFRESH_SEEDS="$WORK/seeds-es-$server" \
      run_wrk "$server" refresh-es256 "$pid" "$base/oauth/token" refresh.lua
  fi
  if wanted userinfo; then
    ACCESS_TOKEN="$(login_driver "$base" "$APP_ID" "$APP_SECRET" "$USER_EMAIL" "$USER_PASSWORD" access)" \
      run_wrk "$server" userinfo "$pid" "$base/userinfo" userinfo.lua
  fi
  if wanted login; then
    local line
    before="$(limit_now argon2id_ms)"
    profile_start "$server" login "$pid"
    CPU_BEFORE="$(cpu_ticks "$pid")"
    line="$(login_driver "$base" "$APP_ID" "$APP_SECRET" "$USER_EMAIL" "$USER_PASSWORD" run "$LOGIN_SECONDS" "$LOGIN_WORKERS" | grep '^RESULT')"
    profile_end
    bracket "$server" login argon2id_ms "$before"
    record "$server" login "$pid" "$line"
  fi
  stop_pid "$VPID"

  if [ "$SEED_USERS" -gt 0 ] && [ -z "${WORKLOADS:-}" ]; then
    log "seeding $SEED_USERS users into $server"
    local seed_url="${url:-sqlite:$data/vestibule.db}"
    taskset -c "$LOAD_CPU" "$TARGET/examples/seed_users" "$seed_url" default "$CONNECTION_ID" bench-db "$SEED_USERS" >&2
    start_vestibule "$server" "$data" "$url"
    record_startup "$server" "$SEED_USERS users" "$READY_MS" "$VPID"
    stop_pid "$VPID"
  fi
}

# ------------------------------------------------------------ peer
bench_peer() {
  local base="http://127.0.0.1:$PPORT" start
  log "starting the peer (oidc-provider, Node $(node --version)) on core $SERVER_CPU"
  start="$(now_ns)"
  PEER_PORT="$PPORT" PEER_CLIENT_ID="$PEER_ID" PEER_CLIENT_SECRET="$PEER_SECRET" PEER_REDIRECT_URI="$REDIRECT_URI" \
    PEER_USER="$USER_EMAIL" PEER_PASSWORD="$USER_PASSWORD" \
    taskset -c "$SERVER_CPU" node "$HERE/peer/op.mjs" >>"$WORK/peer.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  READY_MS="$(taskset -c "$LOAD_CPU" bash -c "$(declare -f now_ns wait_ready); wait_ready $base/healthz $start $pid")"
  record_startup peer "in memory" "$READY_MS" "$pid"
  run_wrk peer discovery "$pid" "$base/.well-known/openid-configuration" get.lua
  run_wrk peer jwks "$pid" "$base/jwks" get.lua
  CLIENT_ID="$PEER_ID" CLIENT_SECRET="$PEER_SECRET" run_wrk peer cc-opaque "$pid" "$base/token" token-cc.lua
  for alg in rs256 es256 eddsa; do
    CLIENT_ID="$PEER_ID" CLIENT_SECRET="$PEER_SECRET" CC_RESOURCE="urn:bench:$alg" \
      run_wrk peer "cc-$alg" "$pid" "$base/token" token-cc.lua
  done
  if wanted refresh; then
    login_driver "$base" "$PEER_ID" "$PEER_SECRET" "$USER_EMAIL" "$USER_PASSWORD" seed "$((2 * CONNS))" >"$WORK/seeds-peer"
    CLIENT_ID="$PEER_ID" CLIENT_SECRET="$PEER_SECRET" REFRESH_SEEDS="$WORK/seeds-peer" \
      run_wrk peer refresh "$pid" "$base/token" refresh.lua
  fi
  if wanted refresh-es256; then
    login_driver "$base" "$PEER_ID-es256" "$PEER_SECRET" "$USER_EMAIL" "$USER_PASSWORD" seed "$((2 * CONNS))" >"$WORK/seeds-es-peer"
    CLIENT_ID="$PEER_ID-es256" CLIENT_SECRET="$PEER_SECRET" REFRESH_SEEDS="$WORK/seeds-es-peer" \
      run_wrk peer refresh-es256 "$pid" "$base/token" refresh.lua
  fi
  if wanted userinfo; then
    ACCESS_TOKEN="$(login_driver "$base" "$PEER_ID" "$PEER_SECRET" "$USER_EMAIL" "$USER_PASSWORD" access)" \
      run_wrk peer userinfo "$pid" "$base/me" userinfo.lua
  fi
  if wanted login; then
    local line
    CPU_BEFORE="$(cpu_ticks "$pid")"
    line="$(login_driver "$base" "$PEER_ID" "$PEER_SECRET" "$USER_EMAIL" "$USER_PASSWORD" run "$LOGIN_SECONDS" "$LOGIN_WORKERS" | grep '^RESULT')"
    record peer login "$pid" "$line"
  fi
  stop_pid "$pid"
}

# ------------------------------------------------------------ run
echo "Vestibule benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ), $(uname -m), $CORES cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
echo "cores: server under test pinned to core $SERVER_CPU, wrk and the login driver to core $LOAD_CPU (taskset)"
echo "wrk -t1 -c$CONNS -d$DURATION per workload; login: $LOGIN_WORKERS concurrent flows for ${LOGIN_SECONDS}s"

log "measuring the CPU limits (examples/limits, on core $SERVER_CPU)"
LIMITS="$(taskset -c "$SERVER_CPU" "$TARGET/examples/limits")"
ARGON_MS="$(sed -n 's/^argon2id_ms=//p' <<<"$LIMITS")"
RS256_MS="$(sed -n 's/^sign_RS256_ms=//p' <<<"$LIMITS")"
MASTER_KEY="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"

if [ -z "${SKIP_SQLITE:-}" ]; then
  mkdir -p "$WORK/sqlite"
  bench_vestibule sqlite "$WORK/sqlite"
fi
if [ -z "${SKIP_PG:-}" ]; then
  PG_DB="vestibule_bench_$$"
  psql "$PG_URL_BASE/postgres" -qAtc "CREATE DATABASE $PG_DB" >/dev/null
  mkdir -p "$WORK/postgres"
  bench_vestibule postgres "$WORK/postgres" "$PG_URL_BASE/$PG_DB"
fi
[ -n "${SKIP_PEER:-}" ] || bench_peer

# ------------------------------------------------------------ report
echo
echo "CPU limits on one core (the server's share): $(sed -n 's/^argon2id_params=//p' <<<"$LIMITS") argon2id verify ${ARGON_MS} ms; RS256 sign ${RS256_MS} ms, ES256 $(sed -n 's/^sign_ES256_ms=//p' <<<"$LIMITS") ms, EdDSA $(sed -n 's/^sign_EdDSA_ms=//p' <<<"$LIMITS") ms"
awk -v a="$ARGON_MS" -v r="$RS256_MS" -v c="$CORES" 'BEGIN {
  printf "argon2id limit: %.1f logins/s per core, %.1f/s on %d cores; RS256 signing limit: %.0f/s per core, %.0f/s on %d cores\n", 1000/a, c*1000/a, c, 1000/r, c*1000/r, c }'
echo
touch "$LIMITS_TSV"
awk -F'\t' -v a="$ARGON_MS" -v r="$RS256_MS" '
  FILENAME == ARGV[1] { lim_lo[$1 SUBSEP $2] = ($3 < $4 ? $3 : $4); lim_hi[$1 SUBSEP $2] = ($3 < $4 ? $4 : $3); next }
  { key = $1 SUBSEP $2; rps[key] = $3; p50[key] = $4; p99[key] = $5; err[key] = $6; hwm[key] = $7; cpu[key] = $8
    if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 }
    if (!($1 in sseen)) { sseen[$1] = 1; servers[++m] = $1 } }
  END {
    printf "%-10s %-10s %10s %9s %9s %7s %9s %7s %9s %s\n", "workload", "server", "req/s", "p50 ms", "p99 ms", "errors", "peak MiB", "CPU us", "vs peer", "of limit (1 core)"
    for (i = 1; i <= n; i++) {
      w = order[i]
      for (j = 1; j <= m; j++) {
        s = servers[j]; k = s SUBSEP w
        if (!(k in rps)) continue
        ratio = "-"
        if (s != "peer" && ((("peer") SUBSEP w) in rps) && rps["peer" SUBSEP w] > 0) ratio = sprintf("%.2fx", rps[k] / rps["peer" SUBSEP w])
        lim = ""
        if (w == "cc-rs256" || w == "refresh") lim = sprintf("%.0f%% of RS256 %.0f/s", 100 * rps[k] * r / 1000, 1000 / r)
        if (w == "login") lim = sprintf("%.0f%% of argon2id %.1f/s", 100 * rps[k] * a / 1000, 1000 / a)
        if (k in lim_lo) lim = lim sprintf(" (bracketed: %.0f-%.0f%%)", 100 * rps[k] * lim_lo[k] / 1000, 100 * rps[k] * lim_hi[k] / 1000)
        printf "%-10s %-10s %10.1f %9s %9s %7d %9.1f %7s %9s %s\n", w, s, rps[k], p50[k], p99[k], err[k], hwm[k] / 1024, cpu[k], ratio, lim
      }
    }
  }' "$LIMITS_TSV" "$RESULTS"
echo "(login: flows/s and latency per full flow; peak MiB = VmHWM of the server process so far in its run;"
echo " bracketed: the same fraction against the limit measured just before and just after that workload)"
echo
printf '%-10s %-14s %10s %14s\n' server store "ready ms" "idle RSS MiB"
awk -F'\t' '{ printf "%-10s %-14s %10s %14.1f\n", $1, $2, $3, $4 / 1024 }' "$STARTUP"
