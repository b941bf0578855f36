#!/usr/bin/env bash
# A long soak (not part of CI): two `sugang serve` instances behind nginx, steady mixed traffic
# from scripts/soak.py (searches, basket edits, enroll/drop/swap, queue polls, sign-ins), one
# sample per minute of each instance (RSS, file descriptors, connections to MySQL and Redis, p99
# per endpoint), the invariant audit at the end, a CSV in target/ and a chart.
#
#   scripts/soak.sh                      # 30 minutes, release binaries
#   scripts/soak.sh --minutes 5          # shorter
#   PROFILE=debug SOAK_USERS=24 SOAK_PAUSE_MS=200 scripts/soak.sh --minutes 10
#
# Writes target/soak.csv and target/soak.png (matplotlib in a venv under target/soak-venv).
# Uses the machine's MariaDB (a database `sugang_soak`, recreated) and Redis (its own prefix).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=30
while [ $# -gt 0 ]; do
  case $1 in
  --minutes) minutes=$2; shift 2 ;;
  *) echo "unknown argument $1"; exit 2 ;;
  esac
done
scripts/services.sh >/dev/null
command -v nginx >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx >/dev/null
profile=${PROFILE:-release}
flag=$([ "$profile" = release ] && echo --release || true)
[ -n "${SKIP_BUILD:-}" ] || cargo build $flag --quiet --bins
bin=target/$profile
db=${SOAK_DB:-sugang_soak}
url="mysql://sugang:sugang@127.0.0.1:3306/$db"
prefix="soak:$$:"
work=$(mktemp -d /tmp/sugang-soak.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
lb_port=$(free_port); a_port=$(free_port); b_port=$(free_port)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  redis-cli --scan --pattern "${prefix}*" | xargs -r -n 500 redis-cli del >/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

mariadb -h 127.0.0.1 -u sugang -psugang -e "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
DATABASE_URL=$url "$bin/sugang" migrate >/dev/null
DATABASE_URL=$url "$bin/sugang" seed >/dev/null

wait_ready() {
  for _ in $(seq 1 150); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/readyz")" = 200 ] && return 0
    sleep 0.2
  done
  return 1
}

start_instance() {
  DATABASE_URL=$url SUGANG_REDIS_PREFIX=$prefix SUGANG_LISTEN=127.0.0.1:$2 \
    SUGANG_TRUSTED_PROXIES=127.0.0.1/32 SUGANG_LOGIN_ADDRESS_LIMIT=100000000 \
    SUGANG_LOGIN_ACCOUNT_LIMIT=100000000 SUGANG_ACTION_ADDRESS_LIMIT=100000000 \
    SUGANG_ACTION_LIMIT=100000 SUGANG_DB_POOL_SIZE=16 RUST_LOG=warn \
    "$bin/sugang" serve >>"$work/$1.log" 2>&1 &
  pids+=($!)
  echo $! >"$work/$1.pid"
  wait_ready "$2" || { echo "instance $1 did not become ready"; tail -20 "$work/$1.log"; exit 1; }
}
start_instance a "$a_port"
start_instance b "$b_port"

mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body; proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi; uwsgi_temp_path $work/nginx/uwsgi; scgi_temp_path $work/nginx/scgi;
  upstream sugang { server 127.0.0.1:$a_port; server 127.0.0.1:$b_port; keepalive 32; }
  server {
    listen 127.0.0.1:$lb_port;
    location / {
      proxy_pass http://sugang;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    }
  }
}
EOF
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" >/dev/null 2>&1 &
pids+=($!)
wait_ready "$lb_port" || { echo "nginx did not start"; cat "$work/nginx/error.log"; exit 1; }

# Students without holds, in their registration window (class years 2-4 are open after seeding).
mariadb -h 127.0.0.1 -u sugang -psugang -N "$db" -e \
  "SELECT u.login_id FROM users u WHERE u.role = 'student' AND u.status = 'enrolled' AND u.class_year BETWEEN 2 AND 4
   AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.student_id = u.id AND h.released_at IS NULL)
   ORDER BY u.id LIMIT 500" >"$work/logins"

echo "soak: $minutes minutes, ${SOAK_USERS:-24} users, ${SOAK_PAUSE_MS:-200} ms between each user's requests, $profile binaries"
mkdir -p target
rc=0
python3 scripts/soak.py "http://127.0.0.1:$lb_port" "$minutes" target/soak.csv "$work/logins" \
  "$(cat "$work/a.pid")" "$(cat "$work/b.pid")" --users "${SOAK_USERS:-24}" --pause-ms "${SOAK_PAUSE_MS:-200}" || rc=1

if "$bin/sugang-rush" --database-url "$url" --audit-only >"$work/audit.json"; then
  echo "audit at the end: PASSED"
else
  rc=1
  echo "audit at the end: FAILED"
fi
cat "$work/audit.json"

if [ ! -x target/soak-venv/bin/python ]; then
  python3 -m venv target/soak-venv && target/soak-venv/bin/pip install -q matplotlib
fi
target/soak-venv/bin/python - target/soak.csv target/soak.png <<'EOF'
import csv, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
rows = list(csv.DictReader(open(sys.argv[1])))
fig, ax = plt.subplots(1, 3, figsize=(12, 3.2))
for inst in ("a", "b"):
    r = [x for x in rows if x["instance"] == inst]
    m = [int(x["minute"]) for x in r]
    ax[0].plot(m, [int(x["rss_kib"]) / 1024 for x in r], label=f"instance {inst}")
    ax[1].plot(m, [int(x["fds"]) for x in r], label=f"fds {inst}")
    ax[1].plot(m, [int(x["mysql_conns"]) for x in r], "--", label=f"MySQL {inst}")
    ax[1].plot(m, [int(x["redis_conns"]) for x in r], ":", label=f"Redis {inst}")
a = [x for x in rows if x["instance"] == "a"]
for e in ("search", "enroll", "drop", "swap", "basket-add", "queue", "sign-in"):
    ax[2].plot([int(x["minute"]) for x in a], [float(x[f"{e}_p99_ms"]) for x in a], label=e)
ax[0].set_title("RSS (MiB)"); ax[1].set_title("file descriptors, connections"); ax[2].set_title("p99 per endpoint (ms)")
for x in ax:
    x.set_xlabel("minute"); x.legend(fontsize=6); x.set_ylim(bottom=0)
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=80)
print("chart:", sys.argv[2])
EOF
exit $rc
