#!/usr/bin/env bash
# The registration rush over a slow network: scripts/faultproxy.py in front of MySQL and of Redis,
# delaying every forwarded chunk by a fixed time in each direction (one request-answer round trip
# costs twice the delay, as between availability zones). For each delay: a freshly seeded
# database, a release server reaching MySQL and Redis only through the proxies, `sugang-rush`.
# Prints decisions/s and the enrollment p99 per delay.
#
#   scripts/bench-slownet.sh                                   # 0, 2 and 10 ms
#   DELAYS="0 2" scripts/bench-slownet.sh --students 1000      # extra arguments go to sugang-rush
#   PROFILE=debug scripts/bench-slownet.sh --students 300 --concurrency 64   # a quick debug run
#
# The 0 ms row goes through the proxies too, so the rows differ only by the delay (the proxy, a
# single Python process, costs something of its own; compare with scripts/bench-rush.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh >/dev/null
profile=${PROFILE:-release}
flag=$([ "$profile" = release ] && echo --release || true)
[ -n "${SKIP_BUILD:-}" ] || cargo build $flag --quiet --bins
bin=target/$profile
delays=${DELAYS:-0 2 10}
rush_args=("$@")
[ ${#rush_args[@]} -gt 0 ] || rush_args=(--students 2000 --concurrency 256)
db=${RUSH_DB:-sugang_slownet}
m=(-h 127.0.0.1 -u sugang -psugang)
work=$(mktemp -d /tmp/sugang-slownet.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  redis-cli --scan --pattern "slownet:$$:*" | xargs -r -n 500 redis-cli del >/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

results=()
for delay in $delays; do
  my_port=$(free_port)
  redis_port=$(free_port)
  python3 scripts/faultproxy.py "$my_port" 3306 --delay-ms "$delay" &
  my_proxy=$!
  python3 scripts/faultproxy.py "$redis_port" 6379 --delay-ms "$delay" &
  redis_proxy=$!
  pids+=("$my_proxy" "$redis_proxy")
  sleep 0.5
  url="mysql://sugang:sugang@127.0.0.1:$my_port/$db"
  mariadb "${m[@]}" -e "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
  DATABASE_URL="mysql://sugang:sugang@127.0.0.1:3306/$db" "$bin/sugang" seed >/dev/null
  prefix="slownet:$$:$delay:"
  DATABASE_URL=$url REDIS_URL="redis://127.0.0.1:$redis_port" SUGANG_LISTEN=127.0.0.1:0 \
    SUGANG_REDIS_PREFIX="$prefix" RUST_LOG=warn \
    SUGANG_LOGIN_ADDRESS_LIMIT=100000000 SUGANG_ACTION_ADDRESS_LIMIT=100000000 \
    SUGANG_DB_POOL_SIZE=${SUGANG_DB_POOL_SIZE:-24} SUGANG_REDIS_POOL_SIZE=64 \
    "$bin/sugang" serve >"$work/serve-$delay.log" 2>&1 &
  server=$!
  pids+=("$server")
  for _ in $(seq 1 300); do grep -q "listening on port" "$work/serve-$delay.log" && break; sleep 0.1; done
  port=$(awk '/listening on port/ {print $NF}' "$work/serve-$delay.log")
  [ -n "$port" ] || { cat "$work/serve-$delay.log"; exit 1; }
  echo "== ${delay} ms each way in front of MySQL and Redis"
  "$bin/sugang-rush" --base "http://127.0.0.1:$port" --database-url "$url" \
    --server-pid "$server" --json "$work/rush-$delay.json" "${rush_args[@]}" | sed -n '/^registration decisions/,$p'
  results+=("$(python3 - "$work/rush-$delay.json" "$delay" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
e = r["endpoints"]["POST /api/v1/enrollments"]
print(f"{sys.argv[2] + ' ms':>8} {r['decisions_per_sec']:>12.0f} {e['p99_ms']:>16.1f} {r['audit'].get('passed', '')}")
EOF
)")
  kill "$server" "$my_proxy" "$redis_proxy" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
done

echo
printf '%8s %12s %16s\n' delay decisions/s "enroll p99 ms"
printf '%s\n' "${results[@]}"
