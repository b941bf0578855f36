#!/usr/bin/env bash
# The decision batch alone (no HTTP): decisions/s of `registration::batch` at batch sizes 1, 8, 32
# and 128 with one and two decision workers, against a freshly seeded database. Extra arguments
# go to sugang-batch, e.g. scripts/bench-batch.sh --sizes 1,64 --workers 2
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh >/dev/null
echo "==> building (release)"
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --quiet --bins
db=${BATCH_DB:-sugang_batch}
url="mysql://sugang:sugang@127.0.0.1:3306/$db"
echo "==> seeding $db"
mariadb -h 127.0.0.1 -u sugang -psugang -e "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
DATABASE_URL=$url target/release/sugang seed > /dev/null
prefix="batch:$$:"
trap 'redis-cli --scan --pattern "${prefix}*" | xargs -r -n 500 redis-cli del > /dev/null' EXIT
echo "==> measuring"
DATABASE_URL=$url SUGANG_REDIS_PREFIX="$prefix" RUST_LOG=warn target/release/sugang-batch "$@"
