#!/usr/bin/env bash
# One-time set-up on Debian 12 with Python 3.11 (idempotent): system packages for the
# PDF reports, R's lavaan and survey (the references the CB-SEM and design-based tests
# run), a virtual environment in .venv, and crmsurvey with its test extras.
set -euo pipefail
cd "$(dirname "$0")"
need=()
for pkg in fonts-noto-core fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 \
           libharfbuzz0b fontconfig r-cran-lavaan r-cran-survey; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${need[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
stamp=.venv/.crmsurvey-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[test]"
  touch "$stamp"
fi
