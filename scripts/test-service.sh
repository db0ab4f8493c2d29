#!/usr/bin/env bash
# Tests of the avatar service (crate thumbing-avatar-service, examples/avatar-service):
# unit and doc tests, and the API tests that start the real service on 127.0.0.1 — against
# local folders and SQLite, against a real S3-compatible server (moto, in server mode) and
# a real PostgreSQL, both started here on free loopback ports and stopped again.
#
#   bash scripts/test-service.sh
#
# Needs: Rust (cargo), Python 3 with venv, PostgreSQL server binaries (initdb, pg_ctl;
# installed with apt-get when missing). Installs moto into lambda/.venv (git-ignored, shared
# with scripts/test-lambda.sh). Environment: CARGO_TARGET_DIR, THUMBING_CORPUS (default
# ../shared/corpus beside the repository), CI=true makes a missing server or corpus a
# failure instead of a skip.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
# shellcheck source=lib/moto.sh
source "$repo/scripts/lib/moto.sh"
# shellcheck source=lib/apt.sh
source "$repo/scripts/lib/apt.sh"
venv="$repo/lambda/.venv"
work="$(mktemp -d)"
moto_pid=""
pg_data=""
pg_bin=""

cleanup() {
    stop_moto
    if [[ -n "$pg_data" && -f "$pg_data/postmaster.pid" ]]; then
        run_pg "$pg_bin/pg_ctl" -D "$pg_data" -m fast stop >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n==> %s\n' "$*"; }

# PostgreSQL refuses to run as root: run its tools as the owner of the data directory.
pg_user=""
run_pg() {
    if [[ -n "$pg_user" ]]; then
        runuser -u "$pg_user" -- "$@"
    else
        "$@"
    fi
}

install_moto "$venv"
start_moto "$venv" "$work/moto.log"
s3_endpoint="$moto_endpoint"

step "starting PostgreSQL (initdb + pg_ctl) on 127.0.0.1"
for candidate in "$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")" /usr/lib/postgresql/*/bin; do
    if [[ -x "$candidate/initdb" && -x "$candidate/pg_ctl" ]]; then
        pg_bin="$candidate"
        break
    fi
done
if [[ -z "$pg_bin" ]]; then
    echo "initdb not found: installing PostgreSQL"
    apt_install postgresql >/dev/null
    pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
fi
pg_data="$work/pg"
mkdir -p "$pg_data"
if [[ "$(id -u)" -eq 0 ]]; then
    pg_user="nobody"
    chown -R "$pg_user" "$work"
    chmod 755 "$work"
fi
pg_port="$(free_port)"
run_pg "$pg_bin/initdb" -D "$pg_data" -U thumbing --auth=trust --no-instructions -E UTF8 >"$work/initdb.log" 2>&1 \
    || { cat "$work/initdb.log" >&2; exit 1; }
run_pg "$pg_bin/pg_ctl" -D "$pg_data" -l "$work/pg/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$pg_port -c unix_socket_directories='$pg_data' -c fsync=off" start >/dev/null \
    || { cat "$work/pg/server.log" >&2; exit 1; }
database_url="postgres://thumbing@127.0.0.1:$pg_port/postgres"
echo "$("$pg_bin/pg_ctl" --version | sed 's/^pg_ctl //') listening on 127.0.0.1:$pg_port"

step "cargo clippy -D warnings (thumbing-avatar-service, both feature sets)"
cargo clippy --locked -p thumbing-avatar-service --all-targets -- -D warnings
# The Lambda function alone (its tests run in the default build below).
cargo clippy --locked -p thumbing-avatar-service --no-default-features --features lambda --lib --bins -- -D warnings

step "cargo test -p thumbing-avatar-service"
env -u AWS_PROFILE -u AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL_S3 -u DATABASE_URL \
    THUMBING_TEST_S3_ENDPOINT="$s3_endpoint" \
    THUMBING_TEST_DATABASE_URL="$database_url" \
    cargo test --locked -p thumbing-avatar-service --no-fail-fast

# The load and fault test, short and bounded (the longer run: scripts/bench-service.sh):
# simulated users against the real binary, a kill -9 in a burst, moto stopped, the database
# locked and cut off. All on 127.0.0.1; it starts and stops its own service, moto and proxy.
step "load and faults (avatar-load --quick)"
"${CARGO_TARGET_DIR:-$repo/target}/debug/avatar-load" --quick \
    --service-bin "${CARGO_TARGET_DIR:-$repo/target}/debug/avatar-service" \
    --moto-server "$venv/bin/moto_server" --freeze-seconds 5 \
    --database-url "$database_url" --work "$work/load"

# browser end-to-end (examples/avatar-service/e2e)
step "the profile page in headless Chromium (examples/avatar-service/e2e/run.sh)"
# The binary `cargo test` built above for the integration tests, same features.
MOTO_SERVER="$venv/bin/moto_server" \
    AVATAR_SERVICE_BIN="${CARGO_TARGET_DIR:-$repo/target}/debug/avatar-service" \
    bash "$repo/examples/avatar-service/e2e/run.sh"
