#!/usr/bin/env python3
"""Steady mixed traffic for scripts/soak.sh, and a sample of every instance each minute.

    soak.py BASE_URL MINUTES CSV LOGINS_FILE PID_A PID_B [--users N] [--pause-ms MS]

N users (threads) each sign in, then loop over a weighted mix — search, basket add/remove,
enroll, drop, swap, queue poll, a fresh sign-in now and then — pausing MS between requests.
Every minute one CSV row per instance: RSS, open file descriptors, TCP connections to MySQL
(3306) and Redis (6379) owned by the instance, and per endpoint the requests, 5xx and p99 of that
minute (the endpoint columns repeat on both rows). Exit status 1 when any answer was a 5xx or a
transport error.
"""
import http.client
import json
import os
import random
import sys
import threading
import time
from urllib.parse import urlparse

base, minutes, csv_path, logins_file = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
instances = {"a": int(sys.argv[5]), "b": int(sys.argv[6])}
args = sys.argv[7:]
users = int(args[args.index("--users") + 1]) if "--users" in args else 24
pause = (float(args[args.index("--pause-ms") + 1]) if "--pause-ms" in args else 200) / 1000
host = urlparse(base)
logins = [l.strip() for l in open(logins_file) if l.strip()]

ENDPOINTS = ["sign-in", "search", "basket-add", "basket-remove", "enroll", "drop", "swap", "queue"]
lock = threading.Lock()
window = {e: [] for e in ENDPOINTS}  # latencies (ms) of the current minute
errors = {e: 0 for e in ENDPOINTS}  # 5xx and transport errors of the current minute
total_errors = 0
stop = threading.Event()


def record(endpoint, ms, failed):
    global total_errors
    with lock:
        window[endpoint].append(ms)
        if failed:
            errors[endpoint] += 1
            total_errors += 1


class User:
    def __init__(self, login):
        self.login = login
        self.cookie = ""
        self.csrf = ""
        self.held = []
        self.sections = []
        self.conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)

    def call(self, endpoint, method, path, body=None):
        headers = {"content-type": "application/json"}
        if self.cookie:
            headers["cookie"] = self.cookie
        if self.csrf and method != "GET":
            headers["x-csrf-token"] = self.csrf
        started = time.monotonic()
        try:
            self.conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
            res = self.conn.getresponse()
            data = res.read()
            status = res.status
            cookies = res.headers.get_all("set-cookie") or []
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
            record(endpoint, (time.monotonic() - started) * 1000, True)
            return 0, b"", []
        record(endpoint, (time.monotonic() - started) * 1000, status >= 500)
        return status, data, cookies

    def sign_in(self):
        self.cookie, self.csrf = "", ""
        status, data, cookies = self.call(
            "sign-in", "POST", "/api/v1/session", {"login_id": self.login, "password": "sugang-demo"}
        )
        if status in (200, 201):
            self.cookie = "; ".join(c.split(";", 1)[0] for c in cookies)
            self.csrf = json.loads(data).get("csrf_token", "")

    def step(self):
        action = random.choices(
            ["search", "basket-add", "basket-remove", "enroll", "drop", "swap", "queue", "sign-in"],
            weights=[40, 10, 8, 12, 6, 4, 15, 5],
        )[0]
        if action == "sign-in" or not self.cookie:
            self.sign_in()
        elif action == "search" or not self.sections:
            q = random.choice(["", "q=intro", "category=major_required", "open_only=1", "page=2", "sort=seats"])
            status, data, _ = self.call("search", "GET", "/api/v1/sections?" + q)
            if status == 200:
                ids = [i["id"] for i in json.loads(data).get("items", [])]
                if ids:
                    self.sections = ids
        elif action == "basket-add":
            self.call("basket-add", "POST", "/api/v1/basket", {"section_id": random.choice(self.sections)})
        elif action == "basket-remove":
            self.call("basket-remove", "DELETE", f"/api/v1/basket/{random.choice(self.sections)}")
        elif action == "enroll":
            sid = random.choice(self.sections)
            status, _, _ = self.call("enroll", "POST", "/api/v1/enrollments", {"section_id": sid})
            if status == 201:
                self.held.append(sid)
        elif action == "drop" and self.held:
            sid = self.held.pop(random.randrange(len(self.held)))
            self.call("drop", "DELETE", f"/api/v1/enrollments/{sid}")
        elif action == "swap" and self.held:
            old, new = random.choice(self.held), random.choice(self.sections)
            status, _, _ = self.call(
                "swap", "POST", "/api/v1/enrollments/swap", {"drop_section_id": old, "add_section_id": new}
            )
            if status in (200, 201):
                self.held = [new if s == old else s for s in self.held]
        else:
            self.call("queue", "GET", "/api/v1/queue")


def run_user(login):
    u = User(login)
    u.sign_in()
    while not stop.is_set():
        u.step()
        stop.wait(pause * random.uniform(0.5, 1.5))


def socket_inodes(pid):
    out = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            out.add(link[8:-1])
    return out


def connections(pid):
    """TCP connections of the process to port 3306 and to port 6379, established."""
    inodes = socket_inodes(pid)
    counts = {3306: 0, 6379: 0}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            port = int(f[2].split(":")[1], 16)
            if f[3] == "01" and f[9] in inodes and port in counts:
                counts[port] += 1
    return counts


def sample(minute, out):
    with lock:
        lat = {e: sorted(v) for e, v in window.items()}
        errs = dict(errors)
        for e in ENDPOINTS:
            window[e] = []
            errors[e] = 0
    cols = []
    for e in ENDPOINTS:
        v = lat[e]
        p99 = v[min(len(v) - 1, int(len(v) * 0.99))] if v else 0.0
        cols += [str(len(v)), str(errs[e]), f"{p99:.1f}"]
    for name, pid in instances.items():
        status = open(f"/proc/{pid}/status").read()
        rss = int(next(l for l in status.splitlines() if l.startswith("VmRSS:")).split()[1])
        fds = len(os.listdir(f"/proc/{pid}/fd"))
        c = connections(pid)
        out.write(",".join([str(minute), name, str(rss), str(fds), str(c[3306]), str(c[6379])] + cols) + "\n")
        print(f"minute {minute} {name}: rss {rss} KiB, fds {fds}, mysql {c[3306]}, redis {c[6379]}", flush=True)
    reqs = sum(len(v) for v in lat.values())
    print("  " + ", ".join(f"{e} {len(lat[e])}/p99 {cols[3 * i + 2]} ms" for i, e in enumerate(ENDPOINTS)) + f"; {reqs} requests", flush=True)
    out.flush()


def main():
    random.seed(2027)
    threads = [threading.Thread(target=run_user, args=(logins[i % len(logins)],), daemon=True) for i in range(users)]
    for t in threads:
        t.start()
    with open(csv_path, "w") as out:
        head = ["minute", "instance", "rss_kib", "fds", "mysql_conns", "redis_conns"]
        for e in ENDPOINTS:
            head += [f"{e}_requests", f"{e}_5xx", f"{e}_p99_ms"]
        out.write(",".join(head) + "\n")
        started = time.monotonic()
        for minute in range(1, int(minutes) + 1):
            time.sleep(max(0, started + 60 * minute - time.monotonic()))
            sample(minute, out)
    stop.set()
    for t in threads:
        t.join(timeout=35)
    print(f"5xx and transport errors in all: {total_errors}")
    sys.exit(1 if total_errors else 0)


main()
