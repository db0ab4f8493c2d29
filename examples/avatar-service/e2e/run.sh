#!/usr/bin/env bash
# The avatar service's profile page in headless Chromium, against the real service binary:
# local folders, then S3 on a moto server the test starts itself, then without the
# WebAssembly package. Run by scripts/test-service.sh; runs on its own too:
#
#   bash examples/avatar-service/e2e/run.sh
#
# On a fresh Debian machine it installs what it needs: chromium and chromium-driver (apt-get,
# only when missing), the WebAssembly package (bindings-wasm/build.sh, only when
# bindings-wasm/pkg is missing), moto's server (pip, into lambda/.venv, git-ignored, unless
# MOTO_SERVER names one), the pinned npm packages (npm ci, no browser download). Builds the
# service binary (debug). Screenshots go to examples/avatar-service/e2e/artifacts/.
#
# Environment: CARGO_TARGET_DIR, MOTO_SERVER, THUMBING_CORPUS (default ../shared/corpus beside
# the repository), CI=true makes a missing corpus or server a failure instead of a skip.
set -euo pipefail

e2e="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$e2e/../../.." && pwd)"
cd "$repo"
step() { printf '\n==> %s\n' "$*"; }

if [[ ! -x /usr/bin/chromium ]] || ! command -v chromedriver >/dev/null; then
    step "apt-get install chromium chromium-driver"
    sudo_cmd=""
    [[ "$(id -u)" -ne 0 ]] && sudo_cmd="sudo"
    $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get update -q
    $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium chromium-driver
fi

if [[ ! -f bindings-wasm/pkg/index.js || ! -f bindings-wasm/pkg/thumbing_wasm_bg.wasm ]]; then
    step "bash bindings-wasm/build.sh (the page's in-browser preview)"
    bash bindings-wasm/build.sh
fi

if [[ -z "${MOTO_SERVER:-}" ]]; then
    # shellcheck source=../../../scripts/lib/moto.sh
    source "$repo/scripts/lib/moto.sh"
    install_moto "$repo/lambda/.venv"
    MOTO_SERVER="$repo/lambda/.venv/bin/moto_server"
fi

# AVATAR_SERVICE_BIN: a binary built already (scripts/test-service.sh passes the one its
# `cargo test` built, so the service is not compiled twice with different features).
if [[ -z "${AVATAR_SERVICE_BIN:-}" ]]; then
    step "cargo build -p thumbing-avatar-service (the binary the browser test starts)"
    cargo build --locked -p thumbing-avatar-service --bin avatar-service
    AVATAR_SERVICE_BIN="${CARGO_TARGET_DIR:-$repo/target}/debug/avatar-service"
fi
[[ -x "$AVATAR_SERVICE_BIN" ]] || { echo "no service binary at $AVATAR_SERVICE_BIN" >&2; exit 1; }

step "npm ci (examples/avatar-service/e2e)"
(cd "$e2e" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)

step "node --test: the profile page in headless Chromium"
cd "$e2e"
env -u AWS_PROFILE -u AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL_S3 -u DATABASE_URL \
    AVATAR_SERVICE_BIN="$AVATAR_SERVICE_BIN" \
    MOTO_SERVER="$MOTO_SERVER" CHROMIUM_PATH=/usr/bin/chromium \
    node --test --test-concurrency=1 --test-reporter=spec profile.test.mjs
echo "screenshots: $e2e/artifacts/"
