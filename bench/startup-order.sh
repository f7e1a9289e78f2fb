#!/usr/bin/env bash
# Regenerates crates/vestibule/link/startup-order.txt: the functions of the
# release binary that run while `vestibule serve` starts and idles, in the
# order they first run. The linker (LLD, Rust's default on
# x86_64-unknown-linux-gnu) places them first in `.text`
# (crates/vestibule/build.rs), so the code a server touches to start sits in
# a few contiguous pages. Without it that code is spread over the whole
# binary, and since the kernel maps 64 KiB around every page a process
# faults in ("fault-around"), an idle server kept ~13 MiB of its 22 MB of
# code resident to run 2.7 MiB of it.
#
#   bench/startup-order.sh        # needs valgrind (Debian: apt-get install valgrind)
#
# Symbols missing from a later build are skipped by the linker, and with v0
# symbol names (.cargo/config.toml) the names of unchanged functions stay the
# same across builds, so the file only needs regenerating after large changes
# to start-up code. The names hold crate ids, which follow the features a
# build unifies: the list is made from, and applies to, the binary built
# alone (`cargo build --release -p vestibule --bin vestibule`, as
# `cargo run --release` builds it).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/crates/vestibule/link/startup-order.txt"
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/vestibule"
command -v valgrind >/dev/null || { echo "needs valgrind" >&2; exit 2; }
(cd "$ROOT" && cargo build --release -q -p vestibule --bin vestibule)
WORK="$(mktemp -d /tmp/vestibule-order.XXXXXX)"
trap 'pkill -INT -f "callgrind.*$WORK" 2>/dev/null || true; rm -rf "$WORK"' EXIT
PORT=18099

# One run under callgrind: start, answer /readyz, idle two seconds, stop.
trace() { # NAME
  VESTIBULE_LISTEN="127.0.0.1:$PORT" VESTIBULE_DATA_DIR="$WORK/data" \
    VESTIBULE_MASTER_KEY="$(printf '%064d' 7)" VESTIBULE_LOG=warn \
    valgrind --tool=callgrind --demangle=no --dump-instr=no \
      --callgrind-out-file="$WORK/$1.out" "$BIN" serve >"$WORK/$1.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 240); do
    curl -sf -o /dev/null "http://127.0.0.1:$PORT/readyz" && break
    sleep 0.5
  done
  sleep 2
  kill -INT "$pid"
  wait "$pid" || true
}
mkdir -p "$WORK/data"
trace first      # an empty store: migrations, the tenant, key generation
trace restart    # the same store again

# Function names in order of first appearance, restart first (every start
# runs that code), then what only a first start adds; only symbols the
# binary defines.
nm "$BIN" | awk '$2 ~ /^[tT]$/ {print $3}' | sort -u >"$WORK/defined"
grep -ho '^c\?fn=([0-9]*) .*' "$WORK/restart.out" "$WORK/first.out" \
  | sed 's/^c\?fn=([0-9]*) //' \
  | awk 'NR == FNR {defined[$0] = 1; next} ($0 in defined) && !seen[$0]++' "$WORK/defined" - >"$OUT"
echo "$(wc -l <"$OUT") functions -> $OUT"
