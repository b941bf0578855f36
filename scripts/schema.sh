#!/usr/bin/env bash
# Regenerates src/db/schema.rs from the migrations: applies them to a scratch database, prints the
# schema with diesel_cli, drops the scratch database. Needs `cargo install diesel_cli
# --no-default-features --features mysql`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh >/dev/null
db="sugang_schema_$$"
url="mysql://sugang:sugang@127.0.0.1:3306/$db"
trap 'mariadb -h 127.0.0.1 -u sugang -psugang -e "DROP DATABASE IF EXISTS $db"' EXIT
mariadb -h 127.0.0.1 -u sugang -psugang -e "CREATE DATABASE $db CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
diesel migration run --database-url "$url" >/dev/null
diesel print-schema --database-url "$url" > src/db/schema.rs
echo "schema: wrote src/db/schema.rs"
