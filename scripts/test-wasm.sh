#!/usr/bin/env bash
# Tests of the WebAssembly build (bindings-wasm/ and examples/browser-preview/).
#
#   bash scripts/test-wasm.sh
#
# On a fresh Debian machine with rustup, Node and Python it installs what it needs: Debian's
# chromium and chromium-driver (apt), the wasm32-unknown-unknown target and wasm-bindgen-cli
# (bindings-wasm/build.sh), and the pinned npm test dependencies (npm ci, no browser download).
# Then it builds the package and the native CLI, and runs:
#   1. cargo test -p thumbing-wasm         (option parsing, natively)
#   2. node --test tests/node/             (the API, the whole corpus, parity with native)
#   3. node --test tests/browser/          (headless Chromium: main thread, Web Worker, errors,
#                                           the browser-preview demo, and the package from its
#                                           `npm pack` tarball in a fresh Vite + TypeScript
#                                           project: tsc --noEmit, vite build, the page)
#
# Environment: CARGO_TARGET_DIR (default <repo>/target), THUMBING_CORPUS (default
# ../shared/corpus next to the repository; with CI=true the tests that need it fail when it is
# missing), THUMBING_WASM_OPT (see bindings-wasm/build.sh).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
export THUMBING_CORPUS="${THUMBING_CORPUS:-$root/../shared/corpus}"
tests="$root/bindings-wasm/tests"
# shellcheck source=lib/apt.sh
source "$root/scripts/lib/apt.sh"

log() { printf '\n==> %s\n' "$*" >&2; }

# Anything started here is stopped on exit (the test runner stops its own server and browser;
# this catches an interrupted run).
cleanup() {
  local pids
  pids="$(jobs -p)"
  [[ -z "$pids" ]] || kill $pids 2>/dev/null || true
}
trap cleanup EXIT INT TERM

if [[ ! -x /usr/bin/chromium ]] || ! command -v chromedriver >/dev/null; then
  apt_install chromium chromium-driver
fi

log "build the npm package"
bash "$root/bindings-wasm/build.sh"

log "build the native CLI (the parity reference)"
(cd "$root" && cargo build --release -p thumbing-cli)

log "cargo clippy -D warnings, cargo test -p thumbing-wasm"
(cd "$root" && cargo clippy --locked -p thumbing-wasm --all-targets -- -D warnings)
(cd "$root" && cargo test -p thumbing-wasm)

log "npm ci (test dependencies)"
(cd "$tests" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)

log "node --test (Node and headless Chromium)"
cd "$tests"
THUMBING_CLI="$CARGO_TARGET_DIR/release/thumbing" CHROMIUM_PATH=/usr/bin/chromium \
  node --test --test-concurrency=1 --test-reporter=spec node/ browser/
