#!/usr/bin/env bash
# Validates docs/openapi.yaml as OpenAPI 3.1 with openapi-spec-validator (pinned in
# requirements-openapi.txt), offline once installed. The validator lives in .venv-openapi/, which
# is (re)created only when missing or when requirements-openapi.txt or the Python version
# changed (a stamp file holds their hash). Installing needs PyPI. Exits non-zero on an invalid
# description. handlers/api/tests/openapi.rs holds the description to the router.
#
# Usage: scripts/lint-openapi.sh [spec]      (PYTHON=python3.11 to choose the interpreter)
set -euo pipefail
cd "$(dirname "$0")/.."

SPEC="${1:-docs/openapi.yaml}"
REQ=requirements-openapi.txt
VENV=.venv-openapi
PYTHON="${PYTHON:-python3}"
stamp="$VENV/.requirements-stamp"

want="$({ cat "$REQ"; "$PYTHON" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)"
if ! [[ -x "$VENV/bin/openapi-spec-validator" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    echo "installing the OpenAPI validator into $VENV/ ..." >&2
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQ"
    echo "$want" >"$stamp"
fi

# The document must say 3.1 itself: the validator picks its rules from this field.
grep -Eq "^openapi: ['\"]?3\.1\.[0-9]+['\"]?\s*$" "$SPEC" || {
    echo "lint-openapi: $SPEC does not declare 'openapi: 3.1.x'" >&2
    exit 1
}
"$VENV/bin/openapi-spec-validator" --schema 3.1 --subschema-errors all --validation-errors all "$SPEC"
echo "lint-openapi: $SPEC is valid OpenAPI 3.1" >&2
