#!/usr/bin/env bash
# Tests of the Lambda handler (crate thumbing-lambda): unit tests, doc tests, and the
# integration tests against a real S3-compatible server (moto, in server mode) that this
# script starts on 127.0.0.1 and stops again.
#
#   bash scripts/test-lambda.sh
#
# Needs: Rust (cargo), Python 3 with venv. Installs moto into lambda/.venv (git-ignored).
# Environment: CARGO_TARGET_DIR (default: target/ at the repository root), THUMBING_CORPUS
# (default: ../shared/corpus beside the repository), CI=true makes missing prerequisites
# fail the tests instead of skipping them.
set -euo pipefail

MOTO_VERSION="5.2.5"

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
venv="$repo/lambda/.venv"
log_dir="$(mktemp -d)"
moto_pid=""

cleanup() {
    if [[ -n "$moto_pid" ]] && kill -0 "$moto_pid" 2>/dev/null; then
        kill "$moto_pid" 2>/dev/null || true
        wait "$moto_pid" 2>/dev/null || true
    fi
    rm -rf "$log_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n==> %s\n' "$*"; }

step "moto[server] $MOTO_VERSION in lambda/.venv"
if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('moto') != '$MOTO_VERSION')" 2>/dev/null \
    || [[ ! -x "$venv/bin/moto_server" ]]; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
fi

step "starting moto_server on 127.0.0.1"
port="$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$log_dir/moto.log" 2>&1 &
moto_pid=$!
endpoint="http://127.0.0.1:$port"
for _ in $(seq 1 150); do
    if "$venv/bin/python" -c "import urllib.request as u; u.urlopen('$endpoint/moto-api/', timeout=1)" 2>/dev/null; then
        break
    fi
    if ! kill -0 "$moto_pid" 2>/dev/null; then
        echo "moto_server exited:" >&2
        cat "$log_dir/moto.log" >&2
        exit 1
    fi
    sleep 0.2
done
"$venv/bin/python" -c "import urllib.request as u; u.urlopen('$endpoint/moto-api/', timeout=2)" \
    || { echo "moto_server did not answer on $endpoint" >&2; cat "$log_dir/moto.log" >&2; exit 1; }
echo "moto_server $MOTO_VERSION listening on $endpoint (pid $moto_pid)"

step "cargo clippy -D warnings (thumbing-lambda)"
cargo clippy --locked -p thumbing-lambda --all-targets -- -D warnings

step "cargo test -p thumbing-lambda"
# Unit, integration and doc tests. The caller's AWS profile or endpoint must not leak in.
env -u AWS_PROFILE -u AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL_S3 \
    THUMBING_TEST_S3_ENDPOINT="$endpoint" \
    cargo test -p thumbing-lambda --no-fail-fast
