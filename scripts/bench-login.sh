#!/usr/bin/env bash
# Sign-in storm: N concurrent clients (default 200) sign in seeded students for D seconds against
# a release build, reporting sign-ins/s, latency, errors and the server's peak memory (VmHWM).
#   scripts/bench-login.sh [CONNECTIONS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
conns=${1:-200}
secs=${2:-20}
scripts/services.sh >/dev/null
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --quiet
db="sugang_bench"
url="mysql://sugang:sugang@127.0.0.1:3306/$db"
m=(-h 127.0.0.1 -u sugang -psugang)
if [ "$(mariadb "${m[@]}" -N -e "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME='$db'")" = 0 ]; then
  mariadb "${m[@]}" -e "CREATE DATABASE $db CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
fi
DATABASE_URL=$url target/release/sugang seed --if-empty > /dev/null
ids=$(mktemp)
mariadb "${m[@]}" -N -e "SELECT login_id FROM users WHERE role='student' ORDER BY id LIMIT 5000" "$db" > "$ids"
out=$(mktemp)
DATABASE_URL=$url SUGANG_LISTEN=127.0.0.1:0 SUGANG_REDIS_PREFIX="bench:" RUST_LOG=warn \
  SUGANG_LOGIN_ADDRESS_LIMIT=100000000 target/release/sugang serve > "$out" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$ids" "$out"' EXIT
for _ in $(seq 1 100); do grep -q "listening on port" "$out" && break; sleep 0.1; done
port=$(awk '/listening on port/ {print $NF}' "$out")
echo "server pid $pid on port $port; $conns connections for ${secs}s"
peak=0
( while kill -0 $pid 2>/dev/null; do grep VmHWM /proc/$pid/status | awk '{print $2}' > "$out.hwm"; [ -n "${WATCH:-}" ] && awk '/VmRSS|Threads/ {printf "%s %s  ", $1, $2} END {print ""}' /proc/$pid/status; sleep 0.5; done ) &
STUDENTS_FILE=$ids DEMO_PASSWORD=sugang-demo wrk -t2 -c"$conns" -d"${secs}s" --timeout 30s \
  -s bench/login.lua "http://127.0.0.1:$port" | tail -4
peak=$(cat "$out.hwm" 2>/dev/null || echo 0)
echo "server peak memory (VmHWM): $((peak / 1024)) MiB"
curl -s "http://127.0.0.1:$port/metrics" | grep -E '^sugang_logins_total' || true
rm -f "$out.hwm"
