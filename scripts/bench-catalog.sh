#!/usr/bin/env bash
# Catalog load: /healthz, the search JSON and the search page (20 results each) with wrk and 64
# connections against a release build on the demo database, signed in once as a seeded student.
# Prints requests/s, p50 and p99 for each, and checks the targets (search JSON >= 10% of the
# /healthz rate, the page >= 5%, p99 < 50 ms).
#   scripts/bench-catalog.sh [SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-64}
scripts/services.sh >/dev/null
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet
db="sugang_bench"
url="mysql://sugang:sugang@127.0.0.1:3306/$db"
m=(-h 127.0.0.1 -u sugang -psugang)
if [ "$(mariadb "${m[@]}" -N -e "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME='$db'")" = 0 ]; then
  mariadb "${m[@]}" -e "CREATE DATABASE $db CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
fi
DATABASE_URL=$url target/release/sugang seed --if-empty > /dev/null
student=$(mariadb "${m[@]}" -N -e "SELECT login_id FROM users WHERE role='student' AND status='enrolled' ORDER BY id LIMIT 1" "$db")

work=$(mktemp -d)
prefix="bench-catalog:$$:"
DATABASE_URL=$url SUGANG_LISTEN=127.0.0.1:0 SUGANG_REDIS_PREFIX="$prefix" RUST_LOG=warn \
  target/release/sugang serve > "$work/out" 2> "$work/err" &
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  redis-cli --scan --pattern "${prefix}*" 2>/dev/null | xargs -r redis-cli del > /dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 1 100); do grep -q "listening on port" "$work/out" && break; sleep 0.1; done
port=$(awk '/listening on port/ {print $NF}' "$work/out")
[ -n "$port" ] || { echo "server did not start"; cat "$work/err"; exit 1; }
base="http://127.0.0.1:$port"

# Sign in once; every request carries the session cookie.
curl -fsS -c "$work/jar" -H 'Content-Type: application/json' \
  -d "{\"login_id\":\"$student\",\"password\":\"sugang-demo\"}" "$base/api/v1/session" > /dev/null
cookie=$(awk '$6 == "sugang_session" {print $7}' "$work/jar")
[ -n "$cookie" ] || { echo "sign-in failed"; exit 1; }

search='open_only=1&sort=seats_left&page=1&per_page=20'
json_path="/api/v1/sections?$search"
page_path="/courses?$search"
items=$(curl -fsS -H "Cookie: sugang_session=$cookie" "$base$json_path" | grep -o '"course_code"' | wc -l)
curl -fsS -H "Cookie: sugang_session=$cookie" "$base$page_path" > /dev/null
echo "server pid $pid on port $port; student $student; $conns connections, ${secs}s each; search returns $items items"

# Prints "rps p50_ms p99_ms errors" for one path.
run() {
  local out
  kill -0 "$pid" 2>/dev/null || { echo "server exited:" >&2; cat "$work/err" >&2; exit 1; }
  out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency -H "Cookie: sugang_session=$cookie" "$base$1")
  echo "$out" > "$work/last"
  awk '
    function ms(v) {
      if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 }
      if (v ~ /ms$/) { sub(/ms$/, "", v); return v + 0 }
      if (v ~ /s$/)  { sub(/s$/, "", v); return v * 1000 }
      return v
    }
    /Requests\/sec:/ { rps = $2 }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    /Non-2xx or 3xx responses:/ { errors += $NF }
    /Socket errors:/ { errors += 1 }
    END { printf "%.0f %.2f %.2f %d\n", rps, p50, p99, errors }
  ' <<< "$out"
}

read -r h_rps h_p50 h_p99 h_err < <(run /healthz)
read -r j_rps j_p50 j_p99 j_err < <(run "$json_path")
read -r p_rps p_p50 p_p99 p_err < <(run "$page_path")

printf "\n%-34s %10s %9s %9s %7s\n" "endpoint" "req/s" "p50 ms" "p99 ms" "errors"
printf "%-34s %10s %9s %9s %7s\n" "/healthz" "$h_rps" "$h_p50" "$h_p99" "$h_err"
printf "%-34s %10s %9s %9s %7s\n" "GET /api/v1/sections (20 items)" "$j_rps" "$j_p50" "$j_p99" "$j_err"
printf "%-34s %10s %9s %9s %7s\n" "GET /courses (20 rows)" "$p_rps" "$p_p50" "$p_p99" "$p_err"

verdict=0
check() { # name ok-expression description
  if awk "BEGIN { exit !($2) }"; then echo "PASS  $1"; else echo "FAIL  $1"; verdict=1; fi
}
echo
check "search JSON >= 10% of /healthz ($(awk "BEGIN {printf \"%.1f\", 100*$j_rps/$h_rps}")%)" "$j_rps >= 0.10 * $h_rps"
check "search page >= 5% of /healthz ($(awk "BEGIN {printf \"%.1f\", 100*$p_rps/$h_rps}")%)" "$p_rps >= 0.05 * $h_rps"
check "p99 < 50 ms (JSON ${j_p99} ms, page ${p_p99} ms)" "$j_p99 < 50 && $p_p99 < 50"
check "no errors" "$h_err + $j_err + $p_err == 0"
exit $verdict
