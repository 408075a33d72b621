#!/usr/bin/env bash
# Builds the six Lambda functions (api, auth, worker, janitor, notifier, deliverer) the way template.yaml
# deploys them: release profile, arm64 (aarch64-unknown-linux-gnu, runtime provided.al2023), with
# cargo-lambda, each zipped as target/lambda/<bin>/bootstrap.zip (holding the executable
# `bootstrap`).
#
# cargo-lambda and Zig (its linker) come from PyPI, pinned in requirements-build.txt, installed
# into .venv-build/ on first use and again only when requirements-build.txt or the Python version
# changes (a stamp file holds their hash). No Docker is needed.
#
# Usage:
#   scripts/build-lambdas.sh            the six functions, arm64 zips
#   scripts/build-lambdas.sh --bench    also what bench-lambda measures: hello-lambda (an empty
#                                       lambda_runtime function) for arm64, and x86_64 builds of
#                                       all seven in target/lambda-x86_64/ (runnable on this host)
# PYTHON=python3.11 chooses the interpreter for the virtualenv.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

REQ="$ROOT/requirements-build.txt"
VENV="$ROOT/.venv-build"
STAMP="$VENV/.requirements.sha256"
PYTHON="${PYTHON:-python3}"
ARM_TARGET=aarch64-unknown-linux-gnu
FUNCTIONS=(api auth worker janitor notifier deliverer)

bench=false
for arg in "$@"; do
    case "$arg" in
        --bench) bench=true ;;
        -h | --help)
            sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "build-lambdas: unknown argument $arg (try --help)" >&2
            exit 2
            ;;
    esac
done

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# --- tooling: cargo-lambda and Zig in .venv-build/ -------------------------------------------------
want="$({ cat "$REQ"; "$PYTHON" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)"
if [[ -x "$VENV/bin/cargo-lambda" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
    :
else
    t0="$(now)"
    echo "==> installing cargo-lambda and Zig into .venv-build/ (requirements-build.txt)" >&2
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQ"
    echo "$want" >"$STAMP"
    echo "    installed in $(elapsed "$t0")s" >&2
fi
# cargo finds `cargo lambda` on PATH; cargo-lambda finds Zig through the venv's python (ziglang).
export PATH="$VENV/bin:$PATH"

if ! rustup target list --installed | grep -qx "$ARM_TARGET"; then
    echo "==> rustup target add $ARM_TARGET" >&2
    rustup target add "$ARM_TARGET"
fi

# --- builds ---------------------------------------------------------------------------------------
# The workspace's release profile is already opt-level "z" (argon2 and blake2 at 3), fat LTO, one codegen unit, stripped,
# panic = "abort". The builds use a cargo target directory of their own (LAMBDA_TARGET_DIR, default
# target/lambda-build/), so that they never wait on, or hold up, the workspace's other builds in
# target/; the packages land in target/lambda/<bin>/ all the same.
export CARGO_TARGET_DIR="${LAMBDA_TARGET_DIR:-$ROOT/target/lambda-build}"
bins=("${FUNCTIONS[@]}")
$bench && bins+=(hello-lambda)
bin_args=()
for b in "${bins[@]}"; do bin_args+=(--bin "$b"); done

t0="$(now)"
echo "==> cargo lambda build --release --arm64 --output-format zip --lambda-dir target/lambda ${bin_args[*]}" >&2
cargo lambda build --release --arm64 --output-format zip --lambda-dir "$ROOT/target/lambda" "${bin_args[@]}"
echo "    built in $(elapsed "$t0")s" >&2

# The functions are non-PIE executables (handlers/non_pie.rs): always in arm64 builds, in the
# x86_64 ones for the bench through DROPGATE_NON_PIE=1.
if $bench; then
    t0="$(now)"
    echo "==> cargo lambda build --release --x86-64 --output-format binary --lambda-dir target/lambda-x86_64 ${bin_args[*]}" >&2
    DROPGATE_NON_PIE=1 cargo lambda build --release --x86-64 --output-format binary --lambda-dir "$ROOT/target/lambda-x86_64" "${bin_args[@]}"
    echo "    built in $(elapsed "$t0")s" >&2
fi

# The ELF type (2 bytes at offset 16) of FILE's `bootstrap`, FILE a zip or the executable: 2 is a
# fixed-address executable, 3 a PIE. Fails the build if the link flag did not reach a binary.
non_pie() {
    "$PYTHON" -c 'import sys, zipfile
f = sys.argv[1]
b = zipfile.ZipFile(f).read("bootstrap") if f.endswith(".zip") else open(f, "rb").read(18)
sys.exit(0 if int.from_bytes(b[16:18], "little") == 2 else 1)' "$1"
}
for b in "${bins[@]}"; do
    zip="target/lambda/$b/bootstrap.zip"
    [[ -f "$zip" ]] || { echo "build-lambdas: $zip is missing" >&2; exit 1; }
    for f in "$zip" $($bench && echo "target/lambda-x86_64/$b/bootstrap"); do
        non_pie "$f" || { echo "build-lambdas: $f: not a non-PIE executable" >&2; exit 1; }
    done
    printf '%-13s %s (%s bytes)\n' "$b" "$zip" "$(stat -c %s "$zip")"
done
