#!/usr/bin/env bash
# Runs every test of thumbing. On a fresh Debian machine with Rust, Python and Node it
# installs what the tests need (rustup components and targets, pip and npm packages into
# git-ignored folders, Debian packages such as Chromium) and starts the servers they use
# (a local S3-compatible server, PostgreSQL) on 127.0.0.1.
#
#   bash scripts/test.sh            # everything
#   bash scripts/test.sh rust       # only some parts: rust arm fuzz benches python wasm lambda service cdk
set -uo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export THUMBING_CORPUS="${THUMBING_CORPUS:-$(cd .. && pwd)/shared/corpus}"
# A test run builds every crate once and never edits them: incremental caches would only
# cost disk (gigabytes across the parts) and link time.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
source scripts/lib/apt.sh

all_parts=(rust)
for part in arm fuzz benches python wasm lambda service cdk; do
  [ -f "scripts/test-$part.sh" ] && all_parts+=("$part")
done
parts=("${@:-${all_parts[@]}}")
if [ $# -eq 0 ]; then parts=("${all_parts[@]}"); fi

# The core library and the command-line tool; every other part has its own script.
run_rust() {
  rustup component add rustfmt clippy >/dev/null 2>&1 || true
  # The JPEG decoder is checked against libjpeg-turbo's own tools (cjpeg, djpeg, jpegtran).
  # Lossy WebP and AVIF outputs are decoded by libwebp's and libavif's own tools.
  local packages=()
  if ! command -v cjpeg >/dev/null || ! command -v djpeg >/dev/null || ! command -v jpegtran >/dev/null; then
    packages+=(libjpeg-turbo-progs)
  fi
  command -v dwebp >/dev/null || packages+=(webp)
  command -v avifdec >/dev/null || packages+=(libavif-bin)
  if [ ${#packages[@]} -gt 0 ]; then
    apt_install "${packages[@]}" >/dev/null || return 1
  fi
  cargo fmt --all -- --check || return 1
  # One build of the AVIF encoder for every part (workspace-hack/Cargo.toml).
  bash scripts/check-unified-features.sh || return 1
  cargo clippy --locked -p thumbing -p thumbing-cli --all-targets -- -D warnings || return 1
  cargo test --locked --no-fail-fast -p thumbing -p thumbing-cli || return 1
  # The crate as crates.io would take it: contents, licences, `cargo publish --dry-run`.
  bash scripts/check-crate.sh || return 1
}

passed=0
failed=0
failed_parts=()
for part in "${parts[@]}"; do
  echo "=== thumbing tests: $part"
  started=$(date +%s)
  if [ "$part" = rust ]; then run_rust; else bash "scripts/test-$part.sh"; fi
  status=$?
  echo "=== $part: $([ $status -eq 0 ] && echo ok || echo FAILED) in $(( $(date +%s) - started )) s"
  if [ $status -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); failed_parts+=("$part"); fi
done
[ ${#failed_parts[@]} -gt 0 ] && echo "failed parts: ${failed_parts[*]}"
echo "parts: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
