#!/usr/bin/env bash
# The main job: thumbing's avatar service on http://127.0.0.1:8080 with embedded defaults —
# a development sign-in with demo users, local folders as the uploads and assets buckets, a
# SQLite profile database, all under data/avatar-service/. Open the page, sign in, pick a
# photo, see the avatar previewed in the browser (thumbing's WebAssembly build), upload it and
# see it served.
#
#   bash scripts/serve.sh                      # builds what is missing, then serves
#   bash scripts/serve.sh --bind 127.0.0.1:9000
#
# Needs Rust (rustup). The first run builds the WebAssembly package (adds the
# wasm32-unknown-unknown target and installs wasm-bindgen-cli) and the service in release
# mode, a few minutes on two cores; later runs start at once. Stop it with Ctrl-C.
# Configuration (S3, Cognito or another OIDC issuer, PostgreSQL): examples/avatar-service/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -f bindings-wasm/pkg/index.js || ! -f bindings-wasm/pkg/thumbing_wasm_bg.wasm ]]; then
  echo "==> building the WebAssembly package for the in-browser preview (bindings-wasm/build.sh)"
  bash bindings-wasm/build.sh
fi
echo "==> building and starting the avatar service (cargo run --release)"
exec cargo run --locked --release -p thumbing-avatar-service --bin avatar-service -- serve "$@"
