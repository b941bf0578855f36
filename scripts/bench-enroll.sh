#!/usr/bin/env bash
# Registration decisions per second through HTTP against a release build: wrk with C connections
# (default 64) for D seconds (default 8) per scenario, every request from a different signed-in
# student of the seeded `sugang_bench` database:
#   hot-grant   one hot section with room for everyone: every decision takes the seat lock
#   hot-full    the same section when full: every answer is `section_full`
#   spread      500 sections, requests spread over them
# and, for scale on the same machine, a read-only baseline (GET /api/v1/me with the same sessions).
# Reports requests/s, p50/p99 latency and the server's decisions by outcome (from /metrics).
#   scripts/bench-enroll.sh [CONNECTIONS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
conns=${1:-64}
secs=${2:-8}
threads=2
scripts/services.sh >/dev/null
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet
db="sugang_bench"
url="mysql://sugang:sugang@127.0.0.1:3306/$db"
m=(-h 127.0.0.1 -u sugang -psugang)
sql() { mariadb "${m[@]}" -N "$db" -e "$1"; }
if [ "$(mariadb "${m[@]}" -N -e "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME='$db'")" = 0 ]; then
  mariadb "${m[@]}" -e "CREATE DATABASE $db CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
fi
DATABASE_URL=$url target/release/sugang seed --if-empty > /dev/null
term=$(sql "SELECT id FROM terms WHERE is_current ORDER BY id DESC LIMIT 1")
# Demo windows are relative to the seeding time: keep the register phase open for the run.
if [ "$(sql "SELECT COUNT(*) FROM registration_windows WHERE term_id=$term AND phase='register' AND opens_at <= UTC_TIMESTAMP(3) AND closes_at > UTC_TIMESTAMP(3)")" = 0 ]; then
  sql "UPDATE registration_windows SET opens_at = UTC_TIMESTAMP() - INTERVAL 1 HOUR, closes_at = UTC_TIMESTAMP() + INTERVAL 1 DAY WHERE term_id=$term AND phase='register'"
fi
work=$(mktemp -d)
out=$work/server.out
# Students the rules let through: enrolled status, no hold, their register window open now.
sql "SELECT u.login_id FROM users u WHERE u.role='student' AND u.status='enrolled'
       AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.student_id=u.id AND h.released_at IS NULL)
       AND EXISTS (SELECT 1 FROM registration_windows w WHERE w.term_id=$term AND w.phase='register'
                   AND w.cohort IN ('all', CONCAT('year', u.class_year))
                   AND w.opens_at <= UTC_TIMESTAMP(3) AND w.closes_at > UTC_TIMESTAMP(3))
     ORDER BY u.id" > "$work/logins"
echo "$(wc -l < "$work/logins") eligible students"
DATABASE_URL=$url SUGANG_REDIS_PREFIX="bench:" RUST_LOG=warn \
  target/release/sugang bench-sessions < "$work/logins" > "$work/sessions"
# Open sections without prerequisites or restrictions; the first is the hot one.
sql "SELECT s.id FROM sections s JOIN courses c ON c.id=s.course_id
     WHERE s.term_id=$term AND s.status='open' AND s.restrict_department_id IS NULL
       AND s.restrict_class_years=0
       AND NOT EXISTS (SELECT 1 FROM course_prerequisites p WHERE p.course_id=c.id)
     ORDER BY s.id LIMIT 500" > "$work/sections"
hot=$(head -1 "$work/sections")
spread=$(paste -sd, "$work/sections")
saved=$(sql "SELECT GROUP_CONCAT(CONCAT(id, ':', capacity)) FROM sections WHERE id IN ($spread)")

# Each scenario starts from the seeded state: enrollments made through the API (they carry a
# request id; seeded ones do not) are removed and the counters recounted.
reset() {
  sql "DELETE FROM enrollments WHERE term_id=$term AND request_id IS NOT NULL;
       UPDATE sections s SET enrolled = (SELECT COUNT(*) FROM enrollments e WHERE e.section_id=s.id)
         WHERE s.term_id=$term;"
}
restore() {
  reset
  for pair in ${saved//,/ }; do sql "UPDATE sections SET capacity=${pair#*:} WHERE id=${pair%%:*}"; done
}

# Every request comes from 127.0.0.1: lift the per-address action limit (each student sends about
# one request, far below the per-student limit); the waiting room stays off.
DATABASE_URL=$url SUGANG_LISTEN=127.0.0.1:0 SUGANG_REDIS_PREFIX="bench:" RUST_LOG=warn \
  SUGANG_ACTION_ADDRESS_LIMIT=100000000 SUGANG_WAITING_ROOM=false \
  target/release/sugang serve > "$out" &
pid=$!
trap 'kill $pid 2>/dev/null; restore; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do grep -q "listening on port" "$out" && break; sleep 0.1; done
port=$(awk '/listening on port/ {print $NF}' "$out")
base="http://127.0.0.1:$port"
echo "server pid $pid on port $port; $conns connections, ${secs}s per scenario; $(nproc) cores shared by wrk, server and MariaDB"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews every figure)"

decisions() {
  curl -s "$base/metrics" | sed -nE 's/^sugang_registration_decisions_total\{outcome="([a-z_]+)"\} ([0-9]+).*$/\1=\2/p' | sort
}
run() {
  local name=$1 sections=$2
  local before after
  before=$(decisions)
  echo "== $name"
  SESSIONS_FILE=$work/sessions SECTIONS=$sections THREADS=$threads \
    wrk -t$threads -c"$conns" -d"${secs}s" --timeout 30s -s bench/enroll.lua "$base" | tail -3
  after=$(decisions)
  echo -n "decisions:"
  join -t= -a2 -e0 -o 0,1.2,2.2 <(echo "$before") <(echo "$after") | awk -F= '$3-$2>0 {printf " %s=%d", $1, $3-$2}'
  echo
}

echo "== baseline: GET /api/v1/me (session lookup and the student's standing, no writes)"
SESSIONS_FILE=$work/sessions SECTIONS=$hot THREADS=$threads BASELINE_PATH=/api/v1/me \
  wrk -t$threads -c"$conns" -d"${secs}s" --timeout 30s -s bench/enroll.lua "$base" | tail -3
reset
sql "UPDATE sections SET capacity=1000000 WHERE id IN ($spread)"
run "hot-grant (section $hot, room for all)" "$hot"
reset
sql "UPDATE sections SET capacity=enrolled WHERE id=$hot"
run "hot-full (section $hot, full)" "$hot"
reset
sql "UPDATE sections SET capacity=1000000 WHERE id IN ($spread)"
run "spread (500 sections)" "$spread"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
