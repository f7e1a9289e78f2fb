#!/usr/bin/env bash
# Two builds of Vestibule compared in one interleaved run: A, B, A, B, …
# on the same machine, minutes apart, so that a drift of the machine
# (another tenant, thermal state) falls on both alike.
#
#   bench/ab.sh OLD_BINARY NEW_BINARY            # 2 rounds, SQLite, 5 s each
#   ROUNDS=3 DURATION=10s bench/ab.sh old new
#
# Each round calls bench/run.sh once per binary (SKIP_BUILD, SKIP_PEER,
# SKIP_PG unless AB_PG=1; the examples come from this tree's release build,
# built here if missing). The report gives, per workload, the median req/s
# of each binary, their ratio and the CPU microseconds per request; a
# workload more than 5 % slower in B is flagged.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
[ $# -eq 2 ] || { echo "usage: bench/ab.sh OLD_BINARY NEW_BINARY" >&2; exit 2; }
A="$(realpath "$1")"
B="$(realpath "$2")"
ROUNDS="${ROUNDS:-2}"
export DURATION="${DURATION:-5s}" SEED_USERS="${SEED_USERS:-10000}" SKIP_BUILD=1 SKIP_PEER=1
[ -n "${AB_PG:-}" ] || export SKIP_PG=1
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}/release"
if [ ! -x "$TARGET/examples/limits" ] || [ ! -x "$TARGET/examples/seed_users" ]; then
  (cd "$ROOT" && cargo build --release -q -p vestibule --example limits --example seed_users)
fi
OUT="$(mktemp -d /tmp/vestibule-ab.XXXXXX)"
for round in $(seq 1 "$ROUNDS"); do
  for side in A B; do
    bin="$A"; [ "$side" = B ] && bin="$B"
    echo "[ab] round $round, $side: $bin" >&2
    VESTIBULE_BIN="$bin" LOG_DIR="$OUT/logs-$side-$round" "$HERE/run.sh" >"$OUT/$side-$round.txt"
  done
done
# Rows of run.sh's table: workload server req/s p50 p99 errors peak CPU-us …
for f in "$OUT"/[AB]-*.txt; do
  side="$(basename "$f" | cut -d- -f1)"
  awk -v side="$side" '$2 == "sqlite" || $2 == "postgres" { if ($3 ~ /^[0-9.]+$/) print side, $1 "/" $2, $3, $8 }' "$f"
  awk -v side="$side" '$1 ~ /^(sqlite|postgres)$/ && $(NF-1) ~ /^[0-9]+$/ {
    store = $2; for (i = 3; i <= NF - 2; i++) store = store "_" $i
    print side, "ready-ms/" $1 "/" store, $(NF-1), "-"; print side, "idle-MiB/" $1 "/" store, $NF, "-" }' "$f"
done >"$OUT/all.txt"
echo "A: $A"
echo "B: $B"
echo "$ROUNDS rounds, interleaved; medians"
awk '
  function median(list,   n, arr, i, j, t) {
    n = split(list, arr, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (arr[j] + 0 < arr[i] + 0) { t = arr[i]; arr[i] = arr[j]; arr[j] = t }
    return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2
  }
  { v[$1 SUBSEP $2] = v[$1 SUBSEP $2] " " $3; c[$1 SUBSEP $2] = c[$1 SUBSEP $2] " " $4
    if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 } }
  END {
    printf "%-22s %10s %10s %8s %8s %8s\n", "workload", "A", "B", "B/A", "A CPUus", "B CPUus"
    for (i = 1; i <= n; i++) {
      w = order[i]; a = median(v["A" SUBSEP w]); b = median(v["B" SUBSEP w])
      r = a > 0 ? b / a : 0
      lower_is_better = (w ~ /^(ready-ms|idle-MiB)/)
      flag = ""
      if (!lower_is_better && r < 0.95) flag = "  <- slower"
      if (lower_is_better && r > 1.05) flag = "  <- worse"
      ca = c["A" SUBSEP w] ~ /[0-9]/ ? median(c["A" SUBSEP w]) : "-"
      cb = c["B" SUBSEP w] ~ /[0-9]/ ? median(c["B" SUBSEP w]) : "-"
      printf "%-22s %10s %10s %8.3f %8s %8s%s\n", w, a, b, r, ca, cb, flag
    }
  }' "$OUT/all.txt"
echo "(raw reports in $OUT)"
