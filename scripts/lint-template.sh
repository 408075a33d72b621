#!/usr/bin/env bash
# Lints template.yaml, offline, with the tools pinned in requirements-lint.txt:
#   1. cfn-lint template.yaml
#   2. cfn-lint template.yaml --append-rules cfn_lint_serverless.rules   (serverless rules)
#   3. checkov -f template.yaml --framework cloudformation               (skips justified in place)
#   4. sam validate --lint
#
# The tools live in two virtualenvs under .venv-lint/ (not in .venv/, whose moto[server] pins a
# boto3 that neither aws-sam-cli nor checkov accepts; and aws-sam-cli and checkov pin different
# boto3 versions too, see requirements-lint.txt):
#   .venv-lint/sam      aws-sam-cli, cfn-lint, cfn-lint-serverless
#   .venv-lint/checkov  checkov
# scripts/install-lint.sh installs them (only when missing or outdated). Installing needs PyPI;
# linting needs no network and no AWS credentials.
#
# Usage: scripts/lint-template.sh            (PYTHON=python3.11 to choose the interpreter)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

TEMPLATE="template.yaml"
VENVS="$ROOT/.venv-lint"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# --- offline, credential-free environment -------------------------------------------------------
# A region is all `sam validate` needs; no credentials, no profile, no AWS call.
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
unset AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
# SAM CLI: no telemetry.
export SAM_CLI_TELEMETRY=0
# checkov: no update check against PyPI, no guideline download from Prisma Cloud
# (with --skip-download below).
export CKV_SKIP_PACKAGE_UPDATE_CHECK=true BC_SKIP_MAPPING=TRUE

# --- tooling ------------------------------------------------------------------------------------
# The venvs, installed or brought up to date (a no-op when they are).
"$ROOT/scripts/install-lint.sh"

SAM_BIN="$VENVS/sam/bin"
CHECKOV_BIN="$VENVS/checkov/bin"

# SAM CLI checks PyPI for a newer version once a week, whatever SAM_CLI_TELEMETRY says. Give it a
# config dir of its own whose last check is always "now", so it never goes online.
export __SAM_CLI_APP_DIR="$VENVS/sam-cli-config"
mkdir -p "$__SAM_CLI_APP_DIR"
"$SAM_BIN/python" - "$__SAM_CLI_APP_DIR/metadata.json" <<'EOF'
import json, pathlib, sys, time
p = pathlib.Path(sys.argv[1])
try:
    d = json.loads(p.read_text())
except (OSError, ValueError):
    d = {}
d["lastVersionCheck"] = time.time()
d["telemetryEnabled"] = False
p.write_text(json.dumps(d))
EOF

# --- the four linters ---------------------------------------------------------------------------
failed=()
timings=()
step() {
    local name=$1
    shift
    local t0 rc=0
    t0="$(now)"
    echo "==> $name" >&2
    "$@" || rc=$?
    timings+=("$(printf '%-34s %6ss  %s' "$name" "$(elapsed "$t0")" "$([[ $rc == 0 ]] && echo ok || echo "FAILED (exit $rc)")")")
    [[ $rc == 0 ]] || failed+=("$name")
}

step "cfn-lint" "$SAM_BIN/cfn-lint" "$TEMPLATE"
step "cfn-lint + serverless rules" "$SAM_BIN/cfn-lint" "$TEMPLATE" --append-rules cfn_lint_serverless.rules
step "checkov" "$CHECKOV_BIN/checkov" -f "$TEMPLATE" --framework cloudformation --quiet --compact --skip-download
step "sam validate --lint" "$SAM_BIN/sam" validate --lint --template "$TEMPLATE"

echo >&2
printf '%s\n' "${timings[@]}" >&2
if ((${#failed[@]})); then
    echo "lint-template: failed: ${failed[*]}" >&2
    exit 1
fi
echo "lint-template: all checks passed" >&2
