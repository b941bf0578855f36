#!/usr/bin/env bash
# Browser journeys against a running sugang: Playwright (playwright-core from npm) driving
# Debian's Chromium headless. Installs both when missing; never downloads a browser build.
#   scripts/browser-test.sh BASE_URL STUDENT_LOGIN_ID
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:?base url}
student=${2:?student login id}
# Korean fonts only make the screenshots legible; the journeys do not depend on them.
if ! command -v chromium >/dev/null 2>&1 || ! dpkg-query -W fonts-nanum >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" != "0" ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-nanum >/dev/null
fi
if ! command -v node >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" != "0" ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null
fi
cd tests/browser
if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/axe-core ]; then
  npm install --no-audit --no-fund --silent
fi
SUGANG_BASE_URL="$base" SUGANG_BROWSER_STUDENT="$student" CHROMIUM="$(command -v chromium)" \
  node --test --test-concurrency=1 --test-reporter=tap ./*.test.mjs
