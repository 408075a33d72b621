#!/usr/bin/env bash
# The whole test suite: the structure check, unit tests of the domain, integration tests of the
# adapters against the emulator, end-to-end tests through the local stack and in headless
# Chromium, and the deploy template's linters.
set -euo pipefail
cd "$(dirname "$0")/.."
# No source file past 600 lines, no import circle inside a crate (a second, no build).
python3 scripts/check-structure.py
scripts/install-emulator.sh
scripts/install-browser.sh
scripts/install-scanner.sh
# Before cargo test: the template_sync tests translate template.yaml with aws-sam-translator,
# which this installs (with the linters that scripts/lint-template.sh runs at the end).
scripts/install-lint.sh
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# No unused dependencies (a source scan, no build). Silent when there are none.
machete_version=0.9.2
if [[ "$(cargo machete --version 2>/dev/null)" != "$machete_version" ]]; then
  echo "installing cargo-machete $machete_version (about 2 minutes, once)" >&2
  cargo install cargo-machete --locked --version "$machete_version" --quiet
fi
if ! cargo machete --skip-target-dir >"$log" 2>&1; then
  cat "$log" >&2
  exit 1
fi
cargo test --workspace --all-targets 2>&1 | tee "$log"
scripts/lint-template.sh
scripts/lint-openapi.sh
# One closing line over every test binary (cargo prints one per binary).
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
