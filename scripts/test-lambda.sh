#!/usr/bin/env bash
# Tests of the Lambda handler (crate thumbing-lambda) and the storage it runs on (crate
# thumbing-storage): unit tests, doc tests, and the integration tests against a real
# S3-compatible server (moto, in server mode) that this script starts on 127.0.0.1 and
# stops again.
#
#   bash scripts/test-lambda.sh
#
# Needs: Rust (cargo), Python 3 with venv. Installs moto into lambda/.venv (git-ignored).
# Environment: CARGO_TARGET_DIR (default: target/ at the repository root), THUMBING_CORPUS
# (default: ../shared/corpus beside the repository), CI=true makes missing prerequisites
# fail the tests instead of skipping them.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
# shellcheck source=lib/moto.sh
source "$repo/scripts/lib/moto.sh"
venv="$repo/lambda/.venv"
log_dir="$(mktemp -d)"
moto_pid=""

cleanup() {
    stop_moto
    rm -rf "$log_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n==> %s\n' "$*"; }

install_moto "$venv"
# The reference JSON Schema validator, for the S3 Batch Operations response schema
# (lambda/tests/regeneration.rs); moto[server] usually brings it already.
JSONSCHEMA_VERSION="4.26.0"
if ! "$venv/bin/python" -c "import jsonschema" 2>/dev/null; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "jsonschema==$JSONSCHEMA_VERSION"
fi
start_moto "$venv" "$log_dir/moto.log"
endpoint="$moto_endpoint"

step "cargo clippy -D warnings (thumbing-storage, thumbing-lambda)"
cargo clippy --locked -p thumbing-storage -p thumbing-lambda --all-targets -- -D warnings

step "cargo test -p thumbing-storage -p thumbing-lambda"
# Unit, integration and doc tests. The caller's AWS profile or endpoint must not leak in.
env -u AWS_PROFILE -u AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL_S3 \
    THUMBING_TEST_S3_ENDPOINT="$endpoint" THUMBING_TEST_PYTHON="$venv/bin/python" \
    cargo test -p thumbing-storage -p thumbing-lambda --no-fail-fast
