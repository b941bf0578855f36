#!/usr/bin/env bash
# The registration-rush benchmark: a freshly seeded database, a release server, `sugang-rush`
# (sign-in wave, /healthz ceiling, burst, audit). Extra arguments go to sugang-rush, e.g.
#   scripts/bench-rush.sh --students 5000 --concurrency 256
# With WAITING_ROOM=1 the waiting room is on (ADMIT_RATE per second, default 500; ADMIT_CONCURRENCY
# passes, default 1000) and the students' sessions are made directly in Redis, so tens of
# thousands can queue, poll `GET /api/v1/queue` and register once admitted:
#   WAITING_ROOM=1 scripts/bench-rush.sh --students 20000 --concurrency 256
# DIRECT_SESSIONS=1 skips the sign-in wave (sessions made in Redis) to measure the burst alone.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh >/dev/null
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --quiet --bins
db=${RUSH_DB:-sugang_rush}
url="mysql://sugang:sugang@127.0.0.1:3306/$db"
m=(-h 127.0.0.1 -u sugang -psugang)
mariadb "${m[@]}" -e "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
DATABASE_URL=$url target/release/sugang seed > /dev/null
out=$(mktemp)
prefix="rush:$$:"
DATABASE_URL=$url SUGANG_LISTEN=127.0.0.1:0 SUGANG_REDIS_PREFIX="$prefix" RUST_LOG=warn \
  SUGANG_LOGIN_ADDRESS_LIMIT=100000000 SUGANG_ACTION_ADDRESS_LIMIT=100000000 \
  SUGANG_DB_POOL_SIZE=${SUGANG_DB_POOL_SIZE:-24} SUGANG_REDIS_POOL_SIZE=64 \
  SUGANG_WAITING_ROOM=$([ -n "${WAITING_ROOM:-}" ] && echo true || echo false) SUGANG_ADMIT_RATE=${ADMIT_RATE:-500} \
  SUGANG_ADMIT_CONCURRENCY=${ADMIT_CONCURRENCY:-1000} \
  target/release/sugang serve > "$out" &
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  redis-cli --scan --pattern "${prefix}*" | xargs -r -n 500 redis-cli del > /dev/null
  rm -f "$out"
}
trap cleanup EXIT
for _ in $(seq 1 100); do grep -q "listening on port" "$out" && break; sleep 0.1; done
port=$(awk '/listening on port/ {print $NF}' "$out")
room_args=()
[ -z "${DIRECT_SESSIONS:-}" ] || room_args=(--direct-sessions --redis-prefix "$prefix")
[ -z "${WAITING_ROOM:-}" ] || room_args=(--direct-sessions --redis-prefix "$prefix" --all-years)
target/release/sugang-rush --base "http://127.0.0.1:$port" --database-url "$url" --server-pid "$pid" \
  "${room_args[@]}" "$@"
