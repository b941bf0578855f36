#!/usr/bin/env bash
# Makes MariaDB and Redis available on 127.0.0.1 on any Debian machine: installs them (and the
# MySQL client library the Rust build links) with apt-get when missing, starts them when they are
# not running, and creates the `sugang` user and database, and the DML-only `sugang_app` user
# (what `sugang serve` uses in production; `sugang` has DDL rights, for migrations and the
# per-test databases). Safe to run any number of times.
#
# SUGANG_SKIP_SERVICES=1 skips everything (CI pods that run MariaDB and Redis as sidecars).
set -euo pipefail

if [ "${SUGANG_SKIP_SERVICES:-0}" = "1" ]; then
  echo "services: skipped (SUGANG_SKIP_SERVICES=1)"
  exit 0
fi

DB_USER=${SUGANG_DB_USER:-sugang}
DB_PASS=${SUGANG_DB_PASSWORD:-sugang}
DB_NAME=${SUGANG_DB_NAME:-sugang}
APP_DB_USER=${SUGANG_APP_DB_USER:-sugang_app}
APP_DB_PASS=${SUGANG_APP_DB_PASSWORD:-sugang_app}

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

apt_updated=0
need_pkg() {
  # Installs the named Debian packages that are not installed yet.
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ $apt_updated = 0 ]; then $SUDO apt-get update -qq; apt_updated=1; fi
    echo "services: installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || need_pkg mariadb-server
need_pkg mariadb-client redis-server default-libmysqlclient-dev pkg-config

wait_for() {
  # wait_for NAME COMMAND...: retries COMMAND for up to 30 s.
  local name=$1; shift
  for _ in $(seq 1 60); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "services: $name did not come up" >&2
  return 1
}

# MariaDB
if ! $SUDO mariadb-admin ping >/dev/null 2>&1; then
  echo "services: starting MariaDB"
  $SUDO mkdir -p /run/mysqld
  $SUDO chown mysql:mysql /run/mysqld 2>/dev/null || true
  if [ ! -d /var/lib/mysql/mysql ]; then
    $SUDO mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null
  fi
  $SUDO start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
  wait_for MariaDB $SUDO mariadb-admin ping
fi

# Redis
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "services: starting Redis"
  $SUDO mkdir -p /var/lib/redis /var/log/redis
  $SUDO redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/sugang.log
  wait_for Redis redis-cli -h 127.0.0.1 -p 6379 ping
fi

# The application user reaches MariaDB over TCP; it owns every database named sugang*, so the
# test harness can create and drop one database per test.
$SUDO mariadb <<SQL
CREATE DATABASE IF NOT EXISTS \`${DB_NAME}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '${DB_USER}'@'127.0.0.1' IDENTIFIED BY '${DB_PASS}';
CREATE USER IF NOT EXISTS '${DB_USER}'@'localhost' IDENTIFIED BY '${DB_PASS}';
GRANT ALL PRIVILEGES ON \`${DB_NAME}%\`.* TO '${DB_USER}'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`${DB_NAME}%\`.* TO '${DB_USER}'@'localhost';
-- Least privilege for serving: rows only, no DDL (see docs/SECURITY.md).
CREATE USER IF NOT EXISTS '${APP_DB_USER}'@'127.0.0.1' IDENTIFIED BY '${APP_DB_PASS}';
GRANT SELECT, INSERT, UPDATE, DELETE ON \`${DB_NAME}\`.* TO '${APP_DB_USER}'@'127.0.0.1';
SQL
if ! mariadb -h 127.0.0.1 -u "$DB_USER" -p"$DB_PASS" -e 'SELECT 1' "$DB_NAME" >/dev/null 2>&1; then
  echo "services: cannot reach MariaDB over TCP as ${DB_USER}" >&2
  exit 1
fi
echo "services: MariaDB and Redis ready on 127.0.0.1"
