#!/usr/bin/env bash
# Build the one-folder bundle dist/counter-app/ and smoke-test it (both windows shown, exit 0).
#   bash scripts/build_bundle.sh            uses .venv/bin/python when there, else python3
#   PYTHON=python bash scripts/build_bundle.sh
# Needs the build extra: pip install -e '.[build]' (scripts/setup.sh test installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${PYTHON:-}" ]; then
  if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
started=$(date +%s)

echo "== translations: .ts -> .qm (pyside6-lrelease)"
"$PYTHON" -c 'from counter_app.ui import i18n; [print("  ", p) for p in i18n.compile_all()]'

echo "== pyinstaller build.spec"
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller build.spec

bundle=dist/counter-app
built=$(date +%s)
bytes=$(du -sb "$bundle" | cut -f1)
echo "== bundle: $((bytes / 1000000)) MB ($((bytes / 1048576)) MiB) in $bundle (goal ≤ 160 MB)," \
  "built in $((built - started)) s"

if command -v ldd >/dev/null; then
  echo "== every bundled library finds its dependencies"
  internal="$bundle/_internal"
  libpath="$internal:$internal/PySide6:$internal/PySide6/Qt/lib"
  unresolved=$(find "$internal" -name '*.so*' -type f -print0 |
    xargs -0 -n 50 env LD_LIBRARY_PATH="$libpath" ldd 2>/dev/null |
    grep 'not found' | grep -E 'Qt6|pyside|shiboken' | sort -u || true)
  if [ -n "$unresolved" ]; then
    echo "bundle is missing libraries:"; echo "$unresolved"; exit 1
  fi
fi

echo "== smoke test (offscreen): counter-app --smoke-test"
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
export QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen}
"$bundle/counter-app" --data-dir "$data/smoke" --smoke-test
echo "== self check: Chinese text without missing glyphs, a chart, the speech engines"
"$bundle/counter-app" --data-dir "$data/smoke" self-check
echo "== the bundle's admin commands: demo data (into a folder of its own), verify, XLSX and PDF exports"
demo="$data/demo"
"$bundle/counter-app" --data-dir "$demo" demo-data --days 2
"$bundle/counter-app" --data-dir "$demo" verify
"$bundle/counter-app" --data-dir "$demo" export overtime --format xlsx --output "$data/overtime.xlsx"
"$bundle/counter-app" --data-dir "$demo" export summary --month "$(date -d yesterday +%Y-%m)" --format pdf \
  --output "$data/summary.pdf"
"$bundle/counter-app" --data-dir "$demo" --smoke-test  # the app opens a demo-data folder
echo "== bundle OK ($(( $(date +%s) - started )) s in all)"
