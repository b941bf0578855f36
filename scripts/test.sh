#!/usr/bin/env bash
# Runs every test: Rust unit and integration tests against real MariaDB and Redis, the browser
# journeys (Playwright + Debian's Chromium) and the offline delivery checks against a live server.
# Installs what it needs; safe to run on a fresh Debian machine and again and again.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

scripts/services.sh
# nginx fronts several instances in the multi-instance test.
if [ ! -x /usr/sbin/nginx ]; then
  SUDO=""; [ "$(id -u)" != "0" ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nginx-light >/dev/null || \
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nginx >/dev/null
fi
export DATABASE_URL=${DATABASE_URL:-mysql://sugang:sugang@127.0.0.1:3306/sugang}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}

logs=$root/target/test-logs
mkdir -p "$logs"

echo "==> cargo fmt --check"
cargo fmt --check

echo "==> cargo test"
cargo test --locked --all-targets 2>&1 | tee "$logs/cargo.log"

# A live server on a database of its own, seeded with a small demo set, for the browser
# journeys and the live /metrics checks.
server=$(mktemp -d)
db="sugang_e2e_$$"
e2e_url="${DATABASE_URL%/*}/$db"
mysql_args=(-h 127.0.0.1 -u sugang -psugang)
cleanup() {
  if [ -n "${server_pid:-}" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  mariadb "${mysql_args[@]}" -e "DROP DATABASE IF EXISTS \`$db\`" 2>/dev/null || true
  rm -rf "$server"
}
trap cleanup EXIT
mariadb "${mysql_args[@]}" -e "CREATE DATABASE \`$db\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
echo "==> seeding $db"
DATABASE_URL=$e2e_url target/debug/sugang seed --students 400 > "$logs/seed.log"
student=$(mariadb "${mysql_args[@]}" -N -e "SELECT login_id FROM users WHERE role='student' AND class_year=2 AND status='enrolled' AND id NOT IN (SELECT student_id FROM holds) ORDER BY id LIMIT 1" "$db")

# serve NAME [VAR=VALUE ...]: one `sugang serve` on the e2e database with a Redis prefix of its
# own and the extra settings, waited for until it listens; its pid in $last_pid, and
# `port_of NAME` prints its port (nothing when it did not start).
serve() {
  local name=$1; shift
  env DATABASE_URL="$e2e_url" SUGANG_LISTEN=127.0.0.1:0 SUGANG_REDIS_PREFIX="e2e-$name:$$:" \
    RUST_LOG=warn "$@" target/debug/sugang serve > "$server/$name.out" 2> "$logs/$name-server.err" &
  last_pid=$!
  for _ in $(seq 1 100); do
    grep -q "listening on port" "$server/$name.out" 2>/dev/null && break
    sleep 0.1
  done
}
port_of() { awk '/listening on port/ {print $NF}' "$server/$1.out"; }

serve main
server_pid=$last_pid
port=$(port_of main)
[ -n "$port" ] || { echo "server did not start"; cat "$logs/main-server.err"; exit 1; }
base="http://127.0.0.1:$port"
curl -fsS "$base/healthz" > /dev/null
curl -fsS "$base/readyz" > /dev/null

echo "==> browser journeys ($base, student $student)"
browser_rc=0
scripts/browser-test.sh "$base" "$student" 2>&1 | tee "$logs/browser.log" || browser_rc=$?

# The JSON API against its OpenAPI document, on a second instance over the same database whose
# action limits are out of the way (so fuzzed requests reach the handlers, not the limiter).
echo "==> API fuzzing (schemathesis)"
api_rc=0
fuzz_student=$(mariadb "${mysql_args[@]}" -N -e "SELECT login_id FROM users WHERE role='student' AND class_year=2 AND status='enrolled' AND id NOT IN (SELECT student_id FROM holds) ORDER BY id LIMIT 1 OFFSET 1" "$db")
serve api SUGANG_ACTION_LIMIT=1000000 SUGANG_ACTION_ADDRESS_LIMIT=1000000
api_pid=$last_pid
api_port=$(port_of api)
if [ -n "$api_port" ]; then
  scripts/check-api.sh "http://127.0.0.1:$api_port" "$fuzz_student" registrar2 2>&1 | tee "$logs/api.log" || api_rc=$?
else
  echo "FAIL: the fuzzing instance did not start"; api_rc=1
fi
kill "$api_pid" 2>/dev/null; wait "$api_pid" 2>/dev/null || true
if grep -qE "panicked|internal error" "$logs/api-server.err"; then
  echo "FAIL: the fuzzing instance logged a panic or an internal error"; grep -E "panicked|internal error" "$logs/api-server.err" | head -5; api_rc=1
fi

echo "==> delivery checks"
deploy_rc=0
scripts/check-deploy.sh "$base" 2>&1 | tee "$logs/deploy.log" || deploy_rc=$?

echo "==> TLS to MySQL and Redis"
tls_rc=0
scripts/check-tls.sh 2>&1 | tee "$logs/tls.log" || tls_rc=$?

echo "==> faults during a rush"
faults_rc=0
SKIP_BUILD=1 scripts/faults.sh 2>&1 | tee "$logs/faults.log" || faults_rc=$?

# One closing line for the whole run.
passed=$(grep -Eo 'test result: [a-z]+\. [0-9]+ passed' "$logs/cargo.log" | awk '{s+=$4} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed' "$logs/cargo.log" | awk '{s+=$1} END {print s+0}')
bpass=$(grep -Eo '^# pass [0-9]+' "$logs/browser.log" | awk '{s+=$3} END {print s+0}')
bfail=$(grep -Eo '^# fail [0-9]+' "$logs/browser.log" | awk '{s+=$3} END {print s+0}')
deploy_failed=0
[ "$deploy_rc" = 0 ] || deploy_failed=1
faults_failed=0
[ "$faults_rc" = 0 ] || faults_failed=1
[ "$tls_rc" = 0 ] || faults_failed=$((faults_failed + 1))
echo
api_failed=0
[ "$api_rc" = 0 ] || api_failed=1
echo "rust: $passed passed, $failed failed; browser: $bpass passed, $bfail failed; API fuzzing: rc=$api_rc ($(grep -Eo '[0-9]+ generated cases in all' "$logs/api.log" 2>/dev/null | head -1)); delivery checks: rc=$deploy_rc; TLS: rc=$tls_rc; faults: rc=$faults_rc"
echo "$((passed + bpass)) passed, $((failed + bfail + deploy_failed + faults_failed + api_failed)) failed"
[ "$browser_rc" = 0 ] && [ "$api_rc" = 0 ] && [ "$tls_rc" = 0 ] && [ "$deploy_rc" = 0 ] && [ "$bfail" = 0 ] && [ "$faults_rc" = 0 ]
