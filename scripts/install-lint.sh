#!/usr/bin/env bash
# Installs the template tooling pinned in requirements-lint.txt, when missing or outdated:
#   .venv-lint/sam      aws-sam-cli (and with it aws-sam-translator), cfn-lint, cfn-lint-serverless
#   .venv-lint/checkov  checkov
# Two venvs, not .venv/: .venv/'s moto[server] pins a boto3 that neither aws-sam-cli nor checkov
# accepts, and aws-sam-cli and checkov pin different boto3 versions too (requirements-lint.txt).
#
# Each venv is (re)created only when missing or when requirements-lint.txt, this script's package
# lists or the Python version changed (a stamp file holds the hash); otherwise this takes well
# under a second. Installing needs PyPI.
#
# Users: scripts/lint-template.sh (the linters), and the template_sync tests of the local crate,
# which translate template.yaml with aws-sam-translator (scripts/sam-translate.py): so
# scripts/test.sh runs this before cargo test.
#
# Usage: scripts/install-lint.sh            (PYTHON=python3.11 to choose the interpreter)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REQ="$ROOT/requirements-lint.txt"
VENVS="$ROOT/.venv-lint"
PYTHON="${PYTHON:-python3}"
SAM_PKGS=(aws-sam-cli cfn-lint cfn-lint-serverless)
CHECKOV_PKGS=(checkov)

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' || {
    echo "install-lint: $PYTHON is older than 3.10 (aws-sam-cli needs >= 3.10)" >&2
    exit 1
}
for pkg in "${SAM_PKGS[@]}" "${CHECKOV_PKGS[@]}"; do
    grep -Eq "^${pkg}==" "$REQ" || { echo "install-lint: $pkg is not pinned in $REQ" >&2; exit 1; }
done

# What the venvs were built from. Keep its input as it is: a different hash rebuilds both.
wanted_stamp() {
    {
        cat "$REQ"
        echo "sam: ${SAM_PKGS[*]}"
        echo "checkov: ${CHECKOV_PKGS[*]}"
        "$PYTHON" -c 'import sys; print(sys.version)'
    } | sha256sum | cut -d' ' -f1
}

# ensure_venv NAME PACKAGE...: the venv .venv-lint/NAME with PACKAGE... at the pinned versions.
ensure_venv() {
    local name=$1
    shift
    local dir="$VENVS/$name" stamp="$VENVS/$name.stamp" want
    want="$(wanted_stamp)"
    if [[ -x "$dir/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        return 0
    fi
    local t0
    t0="$(now)"
    echo "==> installing $* into .venv-lint/$name" >&2
    rm -rf "$dir" "$stamp"
    mkdir -p "$VENVS"
    "$PYTHON" -m venv "$dir"
    # requirements-lint.txt is a constraints file: it fixes the versions, the names say what to install.
    "$dir/bin/python" -m pip install --quiet --disable-pip-version-check -c "$REQ" "$@"
    echo "$want" >"$stamp"
    echo "    installed in $(elapsed "$t0")s" >&2
}

ensure_venv sam "${SAM_PKGS[@]}"
ensure_venv checkov "${CHECKOV_PKGS[@]}"
