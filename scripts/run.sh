#!/usr/bin/env bash
# Runs the service with demo data on http://127.0.0.1:8080 (override with SUGANG_LISTEN):
# services, release build, migrations, demo data when the database is empty, serve.
#   scripts/run.sh --fresh   drops the demo database first, so the registration windows are
#                            placed relative to now again
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh
export DATABASE_URL=${DATABASE_URL:-mysql://sugang:sugang@127.0.0.1:3306/sugang}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
export SUGANG_LISTEN=${SUGANG_LISTEN:-127.0.0.1:8080}
# No CronJob here: the server itself releases held seats at the term's seat-release times.
export SUGANG_SEAT_RELEASER=${SUGANG_SEAT_RELEASER:-true}
cargo build --release --quiet
bin=target/release/sugang
if [ "${1:-}" = "--fresh" ]; then
  db=${DATABASE_URL##*/}
  mariadb -h 127.0.0.1 -u sugang -psugang -e "DROP DATABASE IF EXISTS \`$db\`; CREATE DATABASE \`$db\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
fi
"$bin" migrate
"$bin" seed --if-empty
cat <<MSG

  sugang is starting on http://${SUGANG_LISTEN}
  Demo sign-ins (password for every demo account: sugang-demo):
    registrar            registrar console
    the student numbers printed by the seed above (one per class year, one with a hold)
  Stop with Ctrl-C.

MSG
exec "$bin" serve
