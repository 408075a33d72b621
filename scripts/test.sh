#!/usr/bin/env bash
# The whole test suite: unit tests of the domain, integration tests of the adapters against the
# emulator, end-to-end tests through the local stack, and the deploy template's linters.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-emulator.sh
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
cargo test --workspace --all-targets 2>&1 | tee "$log"
scripts/lint-template.sh
scripts/lint-openapi.sh
# One closing line over every test binary (cargo prints one per binary).
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
