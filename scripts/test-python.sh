#!/usr/bin/env bash
# Tests the Python extension (bindings-python/) and the Flask example (examples/python-flask/)
# as users get them: from a wheel.
#
# On a fresh machine with Rust and Python 3.9+ this:
#   1. creates a build virtualenv in bindings-python/.venv-test/ (git-ignored) with the pinned
#      maturin;
#   2. builds the release abi3 wheel for this machine (x86_64 manylinux on the CI machine) and
#      the sdist with maturin, into a temporary folder;
#   3. builds the command-line tool (thumbing-cli), which the byte-for-byte parity tests
#      compare the module with;
#   4. checks formatting and clippy for the bindings crate;
#   5. installs the wheel into a fresh virtualenv with no Rust on PATH (pip --no-index: nothing
#      is built from source), with the pinned test tools (pytest, pytest-timeout, mypy, Flask),
#      and runs pytest on bindings-python/tests and examples/python-flask against it; the
#      sdist's contents are checked too.
#
# The wheels for other platforms (manylinux x86_64 and aarch64, cross-linked with zig) come
# from scripts/build-wheels.sh, which is not part of the tests.
#
# Environment: CARGO_TARGET_DIR (default: target/ at the repository root), THUMBING_CORPUS
# (default: ../shared/corpus), PYTHON (the interpreter for the venvs, default python3), CI=true
# to make missing test data a failure instead of a skip.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
# shellcheck source=lib/python.sh
source "$repo/scripts/lib/python.sh"
export_target_dir
export THUMBING_CORPUS="${THUMBING_CORPUS:-$repo/../shared/corpus}"
export THUMBING_CLI="$CARGO_TARGET_DIR/release/thumbing"
venv="$repo/bindings-python/.venv-test"
python="${PYTHON:-python3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

step() { printf '\n==> %s\n' "$*"; }
started=$SECONDS

step "build virtualenv $venv (maturin)"
if ! "$venv/bin/python" -c 'import sys' 2>/dev/null; then
    rm -rf "$venv"
    "$python" -m venv "$venv" || {
        echo "error: '$python -m venv' failed; on Debian install python3-venv, or set PYTHON" >&2
        exit 1
    }
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$(grep '^maturin==' bindings-python/requirements-test.txt)"

step "maturin build --release (abi3 wheel for this machine) and maturin sdist"
"$venv/bin/maturin" build --release -m bindings-python/Cargo.toml --out "$work/dist"
"$venv/bin/maturin" sdist -m bindings-python/Cargo.toml --out "$work/dist"
wheel="$(ls "$work"/dist/thumbing-*.whl)"
export THUMBING_SDIST="$(ls "$work"/dist/thumbing-*.tar.gz)"
ls -l "$work/dist"

step "cargo build --release -p thumbing-cli"
cargo build --release -p thumbing-cli

step "cargo fmt --check, cargo clippy -D warnings (thumbing-python)"
cargo fmt -p thumbing-python --check
cargo clippy -p thumbing-python --all-targets --no-deps --quiet -- -D warnings

step "pytest against $(basename "$wheel"), in a fresh virtualenv without Rust"
status=0
test_wheel "$wheel" "$work/venv" "$@" || status=$?
echo "test-python.sh: finished in $((SECONDS - started)) s with status $status"
exit "$status"
