#!/usr/bin/env bash
# What the browser tests need: Debian's Chromium (/usr/bin/chromium) and playwright-core from
# web/tests/package-lock.json. Installed when missing, never skipped. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${CHROMIUM:-}" && ! -x /usr/bin/chromium ]]; then
  echo "installing Debian's chromium (once)" >&2
  sudo=""
  if [[ "$(id -u)" != 0 ]]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >/dev/null
  $sudo apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi
locked="$(node -p "require('./web/tests/package-lock.json').packages['node_modules/playwright-core'].version")"
have="$(node -p "require('./web/tests/node_modules/playwright-core/package.json').version" 2>/dev/null || true)"
if [[ "$have" != "$locked" ]]; then
  npm ci --prefix web/tests --no-audit --no-fund --loglevel=error >/dev/null
fi
