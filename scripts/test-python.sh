#!/usr/bin/env bash
# Tests the Python extension (bindings-python/) and the Flask example (examples/python-flask/).
#
# On a fresh machine with Rust and Python 3.9+ this:
#   1. creates a virtualenv in bindings-python/.venv-test/ (git-ignored) and installs the
#      pinned test tools (maturin, pytest, pytest-timeout, mypy, Flask);
#   2. builds and installs the extension the documented way: `pip install ./bindings-python`
#      (maturin as the PEP 517 backend; a release build of the abi3 wheel);
#   3. builds the Rust reference binary used for the byte-for-byte parity tests;
#   4. checks formatting and clippy for the bindings crate;
#   5. runs pytest on bindings-python/tests and examples/python-flask.
#
# Environment: CARGO_TARGET_DIR (default: target/ at the repository root), THUMBING_CORPUS
# (default: ../shared/corpus), PYTHON (the interpreter for the venv, default python3), CI=true
# to make missing test data a failure instead of a skip.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"
case "$CARGO_TARGET_DIR" in /*) ;; *) CARGO_TARGET_DIR="$repo/$CARGO_TARGET_DIR" ;; esac
export THUMBING_CORPUS="${THUMBING_CORPUS:-$repo/../shared/corpus}"
export THUMBING_REFERENCE="$CARGO_TARGET_DIR/release/examples/reference"
venv="$repo/bindings-python/.venv-test"
python="${PYTHON:-python3}"

step() { printf '\n==> %s\n' "$*"; }
started=$SECONDS

step "virtualenv $venv"
if ! "$venv/bin/python" -c 'import sys' 2>/dev/null; then
    rm -rf "$venv"
    "$python" -m venv "$venv" || {
        echo "error: '$python -m venv' failed; on Debian install python3-venv, or set PYTHON" >&2
        exit 1
    }
fi
vpy="$venv/bin/python"
# maturin's PEP 517 hooks run the `maturin` executable of the venv.
export PATH="$venv/bin:$PATH"
"$vpy" -m pip install --quiet --disable-pip-version-check -r bindings-python/requirements-test.txt

step "pip install ./bindings-python (maturin, release, abi3)"
"$vpy" -m pip install --disable-pip-version-check --no-build-isolation --no-deps --force-reinstall \
    --quiet ./bindings-python

step "cargo build --release -p thumbing-python --example reference"
cargo build --release -p thumbing-python --example reference

step "cargo fmt --check, cargo clippy -D warnings (thumbing-python)"
cargo fmt -p thumbing-python --check
cargo clippy -p thumbing-python --all-targets --no-deps --quiet -- -D warnings

step "pytest"
# Run from a neutral directory, so `import thumbing` is the installed wheel, not a source tree.
cd "$repo/bindings-python"
status=0
"$vpy" -m pytest -p no:cacheprovider --timeout=900 -rs \
    "$repo/bindings-python/tests" "$repo/examples/python-flask" "$@" || status=$?
echo "test-python.sh: finished in $((SECONDS - started)) s with status $status"
exit "$status"
