#!/usr/bin/env bash
# Head office installs on the shared core alone: build a head-office-only venv with
# `setup.sh hq`, check that it holds neither Qt nor sqlite-utils and that importing the API
# loads nothing of counter_app, then run the sync end-to-end tests against its counter-hq.
set -euo pipefail
cd "$(dirname "$0")/.."
hq_venv="${1:-$(mktemp -d)/hq-venv}"
VENV="$hq_venv" bash scripts/setup.sh hq

installed=$("$hq_venv/bin/python" -m pip list --format=freeze 2>/dev/null)
if grep -iE '^(pyside6|pyside6[-_]essentials|pyside6[-_]addons|shiboken6|sqlite[-_]utils)==' <<<"$installed"; then
  echo "check_hq_install: the head-office venv holds Qt or sqlite-utils" >&2; exit 1
fi
loaded=$(cd "$hq_venv" && bin/python -X importtime -c "import head_office.api" 2>&1 |
         grep -E '\| +(counter_app|sqlite_utils|PySide6)' || true)
if [ -n "$loaded" ]; then
  echo "check_hq_install: importing head_office.api loads:" >&2; echo "$loaded" >&2; exit 1
fi
echo "check_hq_install: $hq_venv has counter-hq without Qt or sqlite-utils"
COUNTER_HQ_PYTHON="$hq_venv/bin/python" QT_QPA_PLATFORM=offscreen \
  .venv/bin/python -m pytest -q -p no:cacheprovider tests/sync/test_e2e.py
