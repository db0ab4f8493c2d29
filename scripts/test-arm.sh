#!/usr/bin/env bash
# Runs the core library's unit tests for aarch64 (the Lambda's architecture) under qemu's
# user-mode emulator: the NEON inverse DCTs against the scalar reference, and the JPEG
# decoder's unit tests with NEON in the loop. A part of scripts/test.sh.
#
# Installs, when missing: the rustup target aarch64-unknown-linux-gnu, and with apt-get
# qemu-user (the emulator) and gcc-aarch64-linux-gnu (the linker).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=lib/apt.sh
source "$root/scripts/lib/apt.sh"
log() { printf '\n==> %s\n' "$*" >&2; }

if ! command -v qemu-aarch64 >/dev/null || ! command -v aarch64-linux-gnu-gcc >/dev/null; then
  apt_install qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross
fi
rustup target list --installed | grep -qx aarch64-unknown-linux-gnu || rustup target add aarch64-unknown-linux-gnu

export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu"

log "cargo clippy -p thumbing --target aarch64-unknown-linux-gnu -D warnings"
cargo clippy --locked -p thumbing --lib --tests --target aarch64-unknown-linux-gnu -- -D warnings

log "cargo test -p thumbing --lib --target aarch64-unknown-linux-gnu (under qemu-aarch64)"
# Release: the emulated tests run several times faster, and the build is the one the Lambda
# ships (the NEON back end is inlined as in production).
output="$(mktemp)"
trap 'rm -f "$output"' EXIT
cargo test --locked --release -p thumbing --lib --target aarch64-unknown-linux-gnu -- --test-threads 2 2>&1 |
  tee "$output"
grep -q "neon_matches_the_scalar_transform ... ok" "$output" || { echo "error: the NEON test did not run" >&2; exit 1; }
