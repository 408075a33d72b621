#!/usr/bin/env bash
# Installs the AWS emulator (moto server, pinned in requirements-emulator.txt) into .venv/.
# Idempotent: does nothing when the pinned version is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=.venv/.emulator-requirements
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && cmp -s requirements-emulator.txt "$stamp" \
  && .venv/bin/python -c 'import moto.server' 2>/dev/null; then
  exit 0
fi
echo "installing the AWS emulator into .venv/ ..." >&2
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-emulator.txt
cp requirements-emulator.txt "$stamp"
