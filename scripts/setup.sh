#!/usr/bin/env bash
# Install what Counter App needs on Debian/Ubuntu into ./.venv.
#   bash scripts/setup.sh         the app
#   bash scripts/setup.sh test    the app, head office, and what the tests need
#   bash scripts/setup.sh hq      head office / the hall server alone (no Qt, no sqlite-utils)
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-app}"
venv="${VENV:-.venv}"   # VENV=DIR installs elsewhere (CI builds a separate head-office venv)

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# fonts-wqy-microhei: the counter's Chinese text, and head office's monthly report PDF
packages=(python3 python3-venv python3-pip fonts-wqy-microhei)
[ "$what" = hq ] || packages+=(libegl1 libgl1 libfontconfig1 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0
          libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0
          libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-xkb1)
if [ "$what" = test ]; then
  packages+=(postgresql xvfb openbox xdotool wmctrl imagemagick trayer chromium chromium-driver)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python=python3
for candidate in python3.13 python3.12 python3.11 python3; do
  if command -v "$candidate" >/dev/null &&
     "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    python=$candidate; break
  fi
done
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
if [ "$what" = test ]; then
  "$venv/bin/python" -m pip install -q -e '.[hq,test,build]'
elif [ "$what" = hq ]; then
  # the two server distributions, built from this checkout (packaging/)
  "$venv/bin/python" -m pip install -q ./packaging/counter-core ./packaging/counter-hq
else
  "$venv/bin/python" -m pip install -q -e .
fi
