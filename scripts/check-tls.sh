#!/usr/bin/env bash
# TLS to the data tier, end to end: a throwaway CA signs certificates for a private Redis that
# speaks only TLS and a private MariaDB that refuses connections without TLS
# (require_secure_transport); `sugang migrate`, `user create` and `serve` then work over TLS with
# the CA settings, a plain MySQL connection is refused by the server, and an instance given the
# wrong CA is not ready and says why in one log line.
#
#   scripts/check-tls.sh            (debug build; PROFILE=release for the release one)
set -uo pipefail
cd "$(dirname "$0")/.."
profile=${PROFILE:-debug}
bin=target/$profile/sugang
[ -x "$bin" ] || { echo "FAIL: $bin missing (cargo build first)"; exit 1; }
work=$(mktemp -d)
pids=()
failures=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
cleanup() {
  for p in "${pids[@]}" $(cat "$work"/*.pid 2>/dev/null); do kill "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in "${pids[@]}" $(cat "$work"/*.pid 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
  if [ -n "${KEEP_WORK:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# ---- a CA, a server certificate for 127.0.0.1, and a CA that signed nothing here ----
cd "$work"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=sugang test CA" \
  -keyout ca.key -out ca.pem >/dev/null 2>&1
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=some other CA" \
  -keyout wrong.key -out wrong.pem >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout server.key -out server.csr >/dev/null 2>&1
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > san.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
  -extfile san.ext -out server.pem >/dev/null 2>&1
chmod 644 server.key
cd - >/dev/null
[ -s "$work/server.pem" ] || { echo "FAIL: openssl could not make the certificates"; exit 1; }

# ---- Redis: TLS only ----
redis_port=$(free_port)
redis-server --port 0 --tls-port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no \
  --tls-cert-file "$work/server.pem" --tls-key-file "$work/server.key" \
  --tls-ca-cert-file "$work/ca.pem" --tls-auth-clients no \
  --pidfile "$work/redis.pid" --daemonize yes --logfile "$work/redis.log" >/dev/null
for _ in $(seq 1 50); do
  redis-cli --tls --cacert "$work/ca.pem" -p "$redis_port" ping >/dev/null 2>&1 && break
  sleep 0.1
done
redis-cli --tls --cacert "$work/ca.pem" -p "$redis_port" ping >/dev/null 2>&1 \
  || { echo "FAIL: the TLS Redis did not start (does this redis-server have TLS?)"; cat "$work/redis.log"; exit 1; }

# ---- MariaDB: TLS required ----
db_port=$(free_port)
mariadb-install-db --no-defaults --user=root --datadir="$work/db" \
  --auth-root-authentication-method=normal --skip-test-db >"$work/install.log" 2>&1
mariadbd --no-defaults --user=root --datadir="$work/db" --socket="$work/db.sock" \
  --port="$db_port" --bind-address=127.0.0.1 --pid-file="$work/db.pid" --log-error="$work/db.err" \
  --innodb-buffer-pool-size=64M --ssl-cert="$work/server.pem" --ssl-key="$work/server.key" \
  --ssl-ca="$work/ca.pem" --require-secure-transport=ON --skip-name-resolve &
pids+=($!)
for _ in $(seq 1 100); do
  mariadb --socket="$work/db.sock" -u root -e 'SELECT 1' >/dev/null 2>&1 && break
  sleep 0.2
done
mariadb --socket="$work/db.sock" -u root -e "
  CREATE USER 'sugang'@'%' IDENTIFIED BY 'sugang';
  GRANT ALL ON \`sugang%\`.* TO 'sugang'@'%';
  CREATE DATABASE sugang_tls CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;" \
  || { echo "FAIL: the TLS MariaDB did not start"; cat "$work/db.err"; exit 1; }

db_url="mysql://sugang:sugang@127.0.0.1:$db_port/sugang_tls"
tls_db_url="$db_url?ssl_mode=verify_identity&ssl_ca=$work/ca.pem"
redis_url="rediss://127.0.0.1:$redis_port"

# The server refuses a connection without TLS.
# MariaDB answers a connection without TLS "Access denied" under require_secure_transport; the
# same credentials over TLS are accepted (the Ssl_cipher check below), so the refusal is TLS's.
if mariadb -h 127.0.0.1 -P "$db_port" -u sugang -psugang --skip-ssl -e 'SELECT 1' >/dev/null 2>"$work/plain.err"; then
  fail "MariaDB accepted a connection without TLS"
else
  pass "MariaDB refuses a connection without TLS ($(head -c 100 "$work/plain.err" | tr '\n' ' '))"
fi
if DATABASE_URL="$db_url?ssl_mode=disabled" "$bin" migrate >"$work/plain-migrate.log" 2>&1; then
  fail "sugang migrate ran over a connection without TLS"
else
  pass "sugang migrate with ssl_mode=disabled is refused ($(grep -m1 -i denied "$work/plain-migrate.log" | sed 's/^ *//'))"
fi

# Migrate and create the first registrar over TLS.
if DATABASE_URL="$tls_db_url" "$bin" migrate >"$work/migrate.log" 2>&1; then
  pass "sugang migrate over TLS (ssl_mode=verify_identity, ssl_ca)"
else
  fail "sugang migrate over TLS"; tail -5 "$work/migrate.log"
fi
password="tls-check-passphrase-$$"
if printf '%s\n' "$password" | DATABASE_URL="$tls_db_url" "$bin" user create --role registrar \
  --login tlsadmin --name "TLS Registrar" >"$work/user.log" 2>&1; then
  pass "sugang user create over TLS"
else
  fail "sugang user create over TLS"; tail -5 "$work/user.log"
fi
if DATABASE_URL="$db_url?ssl_mode=verify_ca&ssl_ca=$work/wrong.pem" "$bin" migrate >"$work/wrong-migrate.log" 2>&1; then
  fail "sugang migrate trusted a server its CA bundle did not sign"
elif grep -qiE "certificate|ssl|tls" "$work/wrong-migrate.log"; then
  pass "with the wrong MySQL CA the connection fails and says why ($(grep -m1 -iE 'certificate|ssl|tls' "$work/wrong-migrate.log" | sed 's/^ *//' | head -c 120))"
else
  fail "with the wrong MySQL CA: $(tail -2 "$work/wrong-migrate.log")"
fi
cipher=$(mariadb -h 127.0.0.1 -P "$db_port" -u sugang -psugang --ssl --ssl-ca="$work/ca.pem" -N \
  -e "SHOW SESSION STATUS LIKE 'Ssl_cipher'" 2>/dev/null | awk '{print $2}')
[ -n "$cipher" ] && pass "a TLS client session uses $cipher" || fail "no TLS cipher on a TLS session"

# start NAME CA_FILE: one instance on a free port; prints the port.
start() {
  local name=$1 ca=$2 port
  port=$(free_port)
  DATABASE_URL="$tls_db_url" REDIS_URL="$redis_url" SUGANG_REDIS_CA_FILE="$ca" \
    SUGANG_LISTEN=127.0.0.1:$port SUGANG_REDIS_PREFIX="tls:$name:" RUST_LOG=warn \
    "$bin" serve >"$work/$name.out" 2>"$work/$name.err" &
  echo $! > "$work/$name.pid"
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  echo "$port"
}

port=$(start good "$work/ca.pem")
base="http://127.0.0.1:$port"
ready=$(curl -s -o "$work/ready.json" -w '%{http_code}' "$base/readyz")
[ "$ready" = 200 ] && pass "/readyz over TLS to MySQL and Redis: $(cat "$work/ready.json")" \
  || fail "/readyz answered $ready: $(cat "$work/ready.json")"
sign_in=$(curl -s -c "$work/jar" -o "$work/session.json" -w '%{http_code}' -H 'content-type: application/json' \
  -d "{\"login_id\":\"tlsadmin\",\"password\":\"$password\"}" "$base/api/v1/session")
[ "$sign_in" = 200 ] && pass "sign-in over TLS (session stored in the TLS Redis)" \
  || fail "sign-in answered $sign_in: $(cat "$work/session.json")"
me=$(curl -s -b "$work/jar" -o "$work/me.json" -w '%{http_code}' "$base/api/v1/me")
[ "$me" = 200 ] && grep -q '"login_id":"tlsadmin"' "$work/me.json" \
  && pass "a session-authenticated request over TLS" || fail "GET /api/v1/me answered $me: $(cat "$work/me.json")"
keys=$(redis-cli --tls --cacert "$work/ca.pem" -p "$redis_port" --scan --pattern 'tls:good:*' | wc -l)
[ "$keys" -gt 0 ] && pass "the session lives in the TLS Redis ($keys keys)" || fail "no keys in the TLS Redis"

port=$(start wrong "$work/wrong.pem")
ready=$(curl -s -o "$work/ready-wrong.json" -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port/readyz")
[ "$ready" = 503 ] && pass "with the wrong CA /readyz answers 503: $(cat "$work/ready-wrong.json")" \
  || fail "with the wrong CA /readyz answered $ready"
sleep 0.3
if grep -q "Redis TLS failed" "$work/wrong.out" "$work/wrong.err"; then
  pass "the log says why: $(cat "$work/wrong.out" "$work/wrong.err" | sed 's/\x1b\[[0-9;]*m//g' | grep -m1 -o 'Redis TLS failed.*UnknownIssuer')"
else
  fail "no clear log line for the wrong CA"; tail -3 "$work/wrong.out"
fi

if [ "$failures" = 0 ]; then echo "TLS checks: all passed"; else echo "TLS checks: $failures failed"; fi
[ "$failures" = 0 ]
