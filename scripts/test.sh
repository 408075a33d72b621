#!/usr/bin/env bash
# The whole test suite: unit tests of the domain, integration tests of the adapters against the
# emulator, end-to-end tests through the local stack, and the deploy template's linters.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-emulator.sh
cargo test --workspace --all-targets
if [ -x scripts/lint-template.sh ]; then
  scripts/lint-template.sh
fi
