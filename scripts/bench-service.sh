#!/usr/bin/env bash
# The avatar service under load and faults, measured: builds the release `avatar-service` and
# the `avatar-load` tool (examples/avatar-service/src/bin/avatar-load/), starts moto (S3) on
# 127.0.0.1, and writes docs/benchmarks/service.md with a plot (service.svg).
#
#   bash scripts/bench-service.sh            # full run: 50 users, bursts of 50, moto stopped
#                                            # for 10 s, 50 uploads of a 100-megapixel PNG,
#                                            # 20 slow clients of each kind against the
#                                            # default timeouts (about 10 minutes on 2 cores
#                                            # once built)
#   bash scripts/bench-service.sh --quick    # the short settings of the test command
#   bash scripts/bench-service.sh --users 100 --burst 80 --big-burst 20   # any avatar-load option
#   bash scripts/bench-service.sh --big-burst 20 --queue-max 8   # a queue too short for the burst
#
# Environment: CARGO_TARGET_DIR as usual; BENCH_DATABASE_URL=postgres://user@127.0.0.1:port/db
# adds the PostgreSQL cut-off scenario (a database of its own is created and dropped).
# Every request goes to 127.0.0.1; every scenario is bounded in count and time.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
# shellcheck source=lib/moto.sh
source "$repo/scripts/lib/moto.sh"
venv="$repo/lambda/.venv"
target="${CARGO_TARGET_DIR:-$repo/target}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

install_moto "$venv"
printf '\n==> %s\n' "cargo build --release (avatar-service, avatar-load)"
cargo build --locked --release -p thumbing-avatar-service --bin avatar-service --bin avatar-load

args=(--service-bin "$target/release/avatar-service" --moto-server "$venv/bin/moto_server"
      --work "$work/load" --report "$repo/docs/benchmarks/service.md")
if [[ -n "${BENCH_DATABASE_URL:-}" ]]; then
    args+=(--database-url "$BENCH_DATABASE_URL")
fi
if [[ " $* " != *" --quick "* && " $* " != *" --big-burst "* ]]; then
    args+=(--big-burst 50)
fi
# The report names the command as it was typed.
AVATAR_LOAD_COMMAND="bash scripts/bench-service.sh${*:+ $*}" \
    "$target/release/avatar-load" "${args[@]}" "$@"
