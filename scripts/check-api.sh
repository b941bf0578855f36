#!/usr/bin/env bash
# Fuzzes every operation of the JSON API against its published OpenAPI document with
# schemathesis (PyPI, pinned, in target/api-venv): once signed in as a student, once as a
# registrar. Checks: no 5xx, every status documented, every answer conforming to its schema and
# content type. Prints the number of generated cases; exits non-zero when any case fails.
#
#   scripts/check-api.sh <base-url> <student-login> <registrar-login> [password]
#
# Settings: API_FUZZ_EXAMPLES (cases per operation and phase, default 100), API_FUZZ_SEED.
set -uo pipefail
cd "$(dirname "$0")/.."
base=${1:?base url}
student=${2:?student login}
registrar=${3:?registrar login}
password=${4:-sugang-demo}
examples=${API_FUZZ_EXAMPLES:-100}
seed=${API_FUZZ_SEED:-20261128}
version=4.32.5
venv=target/api-venv
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ ! -x "$venv/bin/schemathesis" ] || ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$version"; then
  echo "installing schemathesis $version into $venv"
  if ! python3 -m venv "$venv" >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" != "0" ] && SUDO="sudo"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
    python3 -m venv "$venv" || { echo "FAIL: cannot create $venv"; exit 1; }
  fi
  "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$version" \
    || { echo "FAIL: pip install schemathesis"; exit 1; }
fi

curl -fsS "$base/api/v1/openapi.json" -o "$work/openapi.json" || { echo "FAIL: no document at $base/api/v1/openapi.json"; exit 1; }

# Signs in and prints "<cookie> <csrf>".
sign_in() {
  local login=$1 jar="$work/jar-$1"
  local body
  body=$(curl -fsS -c "$jar" -H 'content-type: application/json' \
    -d "{\"login_id\":\"$login\",\"password\":\"$password\"}" "$base/api/v1/session") || return 1
  local csrf cookie
  csrf=$(printf '%s' "$body" | python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf_token"])') || return 1
  cookie=$(awk '$6 == "sugang_session" {print $7}' "$jar")
  [ -n "$cookie" ] && [ -n "$csrf" ] && echo "$cookie $csrf"
}

total=0
failed=0
run_as() {
  local who=$1 login=$2 cookie csrf
  read -r cookie csrf < <(sign_in "$login") || { echo "FAIL: $who $login cannot sign in"; failed=1; return; }
  [ -n "${cookie:-}" ] || { echo "FAIL: $who $login cannot sign in"; failed=1; return; }
  echo "==> schemathesis as the $who ($login): $examples cases per operation and phase"
  # Signing out would end the session the rest of the run uses; sign-out has its own tests.
  "$venv/bin/schemathesis" run "$work/openapi.json" --url "$base" \
    -H "Cookie: sugang_session=$cookie" -H "X-CSRF-Token: $csrf" \
    --exclude-operation-id sign_out \
    --checks not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance \
    --phases examples,coverage,fuzzing --max-examples "$examples" --seed "$seed" \
    --no-color --generation-database none --report junit --report-junit-path "$work/$who.xml" \
    > "$work/$who.log" 2>&1
  local rc=$?
  tail -n 40 "$work/$who.log"
  local cases
  cases=$(python3 - "$work/$who.xml" <<'EOF'
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception:
    print(0); sys.exit()
print(sum(int(s.get("tests", 0)) for s in root.iter("testsuite")))
EOF
)
  # The summary line counts generated cases; the JUnit file counts operations.
  local generated
  generated=$(grep -Eo '[0-9,]+ generated' "$work/$who.log" | tail -1 | tr -d ', generated')
  echo "$who: ${generated:-?} generated cases over $cases operations, exit $rc"
  total=$((total + ${generated:-0}))
  [ "$rc" = 0 ] || failed=1
}

run_as student "$student"
run_as registrar "$registrar"
echo "schemathesis: $total generated cases in all"
if [ "$failed" = 0 ]; then echo "PASS: API fuzzing"; else echo "FAIL: API fuzzing"; fi
exit "$failed"
