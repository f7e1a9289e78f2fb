#!/usr/bin/env bash
# A flood of bad logins at 10× the server's argon2id capacity while good
# logins continue (bench/flood.mjs), twice on a fresh server each: from one
# attacker address (its share of the hash queue, then the IP throttle, stop
# it), and from a new address per request (only the bounded queue stands in
# the way).
# Short: about 2 × 16 s. Same core split as bench/run.sh.
#
#   bench/flood.sh
# Env: VESTIBULE_BIN (default target/release/vestibule; build it first with
#      cargo build --release -p vestibule --bin vestibule) SERVER_CPU (0)
#      LOAD_CPU (1) FLOOD_FACTOR (10) FLOOD_S (12) GOOD_WORKERS (2)
#      HASH_QUEUE (VESTIBULE_PASSWORD_HASH_QUEUE; unset: the server's default)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
BIN="${VESTIBULE_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/vestibule}"
SERVER_CPU="${SERVER_CPU:-0}"
LOAD_CPU="${LOAD_CPU:-1}"
PORT=18090
BASE="http://127.0.0.1:$PORT"
MGMT_ID=bench-management-client
MGMT_SECRET=bench-management-secret-0123456789
USER_EMAIL=bench@example.com
USER_PASSWORD=Bench-Password-1
WORK="$(mktemp -d /tmp/vestibule-flood.XXXXXX)"
VPID=""
cleanup() {
  [ -z "$VPID" ] || { kill "$VPID" 2>/dev/null || true; wait "$VPID" 2>/dev/null || true; }
  rm -rf "$WORK"
}
trap cleanup EXIT
[ -x "$BIN" ] || { echo "no server binary at $BIN" >&2; exit 2; }

mgmt() { # METHOD PATH JSON
  curl -sS --fail-with-body -X "$1" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "$3" "$BASE$2"
}

run() { # ATTACKER_IPS
  local data="$WORK/data-$1"
  mkdir -p "$data"
  env ${HASH_QUEUE:+VESTIBULE_PASSWORD_HASH_QUEUE="$HASH_QUEUE"} \
    VESTIBULE_LISTEN="127.0.0.1:$PORT" VESTIBULE_DATA_DIR="$data" \
    VESTIBULE_MASTER_KEY="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
    VESTIBULE_BOOTSTRAP_CLIENT_ID="$MGMT_ID" VESTIBULE_BOOTSTRAP_CLIENT_SECRET="$MGMT_SECRET" \
    VESTIBULE_TRUSTED_PROXIES=127.0.0.1/32 VESTIBULE_LOG=error \
    taskset -c "$SERVER_CPU" "$BIN" serve >>"$WORK/server.log" 2>&1 &
  VPID=$!
  for _ in $(seq 1 500); do curl -sf -o /dev/null "$BASE/readyz" && break; sleep 0.02; done
  TOKEN="$(curl -sf -d client_id="$MGMT_ID" -d client_secret="$MGMT_SECRET" -d grant_type=client_credentials \
    -d "audience=$BASE/api/v2/" "$BASE/oauth/token" | jq -r .access_token)"
  local client
  client="$(mgmt POST /api/v2/clients '{"name":"flood-app","app_type":"regular_web","grant_types":["http://auth0.com/oauth/grant-type/password-realm"]}')"
  mgmt POST /api/v2/connections "$(jq -nc --arg c "$(jq -r .client_id <<<"$client")" '{name:"bench-db", strategy:"auth0", enabled_clients:[$c]}')" >/dev/null
  mgmt POST /api/v2/users "$(jq -nc --arg e "$USER_EMAIL" --arg p "$USER_PASSWORD" '{connection:"bench-db", email:$e, password:$p}')" >/dev/null
  echo "attacker addresses: $([ "$1" = 0 ] && echo 'a new one per request' || echo "$1")"
  CLIENT_ID="$(jq -r .client_id <<<"$client")" CLIENT_SECRET="$(jq -r .client_secret <<<"$client")" \
    LOGIN_USER="$USER_EMAIL" LOGIN_PASSWORD="$USER_PASSWORD" REALM=bench-db SERVER_PID="$VPID" ATTACKER_IPS="$1" \
    taskset -c "$LOAD_CPU" node "$HERE/flood.mjs" "$BASE/"
  kill "$VPID"; wait "$VPID" 2>/dev/null || true; VPID=""
}

echo "flood — $(date -u +%Y-%m-%dT%H:%M:%SZ), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), server on core $SERVER_CPU, load on core $LOAD_CPU"
run 1
run 0
