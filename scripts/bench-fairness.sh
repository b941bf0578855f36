#!/usr/bin/env bash
# The fairness benchmark of the opening second: RUNS rounds (default 6) per mode, waiting room
# off and on. Each round seeds a fresh database, moves the register windows to open a few seconds
# later, makes one 40-seat section the prize and races 400 students for it: 40 running a macro
# (firing from up to 2 s before opening, 20 requests/s, retrying 100 ms after a 429) and 360
# honest ones (one click 0.3–3 s after opening, obeying Retry-After). Prints, pooled per mode:
# seats per group, the macros' advantage ratio (share of seats ÷ share of population), decision
# times after opening, requests per student, and the audit of every round.
#
#   scripts/bench-fairness.sh                 # both modes, 6 rounds each
#   RUNS=3 MODES="room-on" scripts/bench-fairness.sh
#   DRAW_SPAN_MS=0 scripts/bench-fairness.sh  # the opening draw off: first come, first served
#
# Settings: STUDENTS (400), MACROS (40), SEATS (40), ADMIT_RATE (100), ADMIT_CONCURRENCY (100),
# DRAW_SPAN_MS (the server's SUGANG_OPENING_DRAW_SPAN_MS, default 3000).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh >/dev/null
[ -n "${SKIP_BUILD:-}" ] || { echo "building release binaries"; cargo build --release --quiet --bins; }
runs=${RUNS:-6}
modes=${MODES:-"room-off room-on"}
students=${STUDENTS:-400}
macros=${MACROS:-40}
seats=${SEATS:-40}
db=sugang_fairness
url="mysql://sugang:sugang@127.0.0.1:3306/$db"
m=(-h 127.0.0.1 -u sugang -psugang)
results=target/fairness-results.jsonl
round=target/fairness-round.json
: > "$results"
out=$(mktemp)
pid=""
cleanup() {
  [ -z "$pid" ] || { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
  rm -f "$out"
}
trap cleanup EXIT
for mode in $modes; do
  room=false
  [ "$mode" = room-on ] && room=true
  for run in $(seq 1 "$runs"); do
    echo "==> $mode, round $run of $runs"
    mariadb "${m[@]}" -e "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
    DATABASE_URL=$url target/release/sugang seed --students $((students * 6)) > /dev/null
    DATABASE_URL=$url target/release/sugang-fairness prepare --students "$students" --seats "$seats" \
      --opens-in-ms 6000 --round "$round"
    prefix="fair:$$:$mode:$run:"
    DATABASE_URL=$url SUGANG_LISTEN=127.0.0.1:0 SUGANG_REDIS_PREFIX="$prefix" RUST_LOG=warn \
      SUGANG_ACTION_ADDRESS_LIMIT=100000000 SUGANG_LOGIN_ADDRESS_LIMIT=100000000 \
      SUGANG_OPENING_DRAW_SPAN_MS=${DRAW_SPAN_MS:-3000} \
      SUGANG_WAITING_ROOM=$room SUGANG_ADMIT_RATE=${ADMIT_RATE:-100} \
      SUGANG_ADMIT_CONCURRENCY=${ADMIT_CONCURRENCY:-100} \
      target/release/sugang serve > "$out" &
    pid=$!
    for _ in $(seq 1 100); do grep -q "listening on port" "$out" && break; sleep 0.1; done
    port=$(awk '/listening on port/ {print $NF}' "$out")
    DATABASE_URL=$url target/release/sugang-fairness run --base "http://127.0.0.1:$port" \
      --redis-prefix "$prefix" --round "$round" --macros "$macros" --mode "$mode" --out "$results"
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
    redis-cli --scan --pattern "${prefix}*" | xargs -r -n 500 redis-cli del > /dev/null
  done
done
echo
target/release/sugang-fairness summarize --out "$results"
