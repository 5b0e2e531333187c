#!/usr/bin/env bash
# The whole test suite (sets up first if needed). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
./setup.sh
exec .venv/bin/python -m pytest -n 2 -q --doctest-modules crmsurvey tests "$@"
