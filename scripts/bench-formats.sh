#!/usr/bin/env bash
# thumbing's output formats against sharp at equal settings: bytes and SSIM of 512×512 cover
# avatars as PNG, JPEG, lossy WebP and AVIF (quality 80) from the peer harness's five photos.
# Writes docs/benchmarks/formats.csv and prints the summary table of docs/benchmarks/formats.md.
#
#   scripts/bench-formats.sh                 # about two minutes on 2 cores once built
#   scripts/bench-formats.sh --quality 60
#
# Installs sharp (pinned in benches/peers/package.json) into .peers/node as
# scripts/bench-peers.sh does, and builds the thumbing CLI and thumbing-peers (release).
# Needs: cargo, Node >= 20.9 with npm. Environment: THUMBING_CORPUS (default
# ../shared/corpus next to the repository), PEERS_DIR (default <repo>/.peers), CARGO_TARGET_DIR.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PEERS_DIR="${PEERS_DIR:-$ROOT/.peers}"
SPEC="$ROOT/benches/peers"
CORPUS="${THUMBING_CORPUS:-$ROOT/../shared/corpus}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"

say() { printf '==> %s\n' "$*" >&2; }
[[ -f "$CORPUS/MANIFEST.tsv" ]] || { echo "error: the image corpus is missing at $CORPUS (set THUMBING_CORPUS)" >&2; exit 1; }

NODE_DIR="$PEERS_DIR/node"
# shellcheck source=lib/sharp.sh
source "$ROOT/scripts/lib/sharp.sh"
install_sharp "$NODE_DIR" "$SPEC"

say "building the thumbing CLI and thumbing-peers (release)"
cargo build --release --locked -p thumbing-cli -p thumbing-benches --bin thumbing --bin thumbing-peers

say "encoding and scoring"
node "$SPEC/formats.mjs" --thumbing "$TARGET/release/thumbing" --peers-bin "$TARGET/release/thumbing-peers" \
  --corpus "$CORPUS" --node-modules "$NODE_DIR/node_modules" --out "$ROOT/docs/benchmarks" "$@"
