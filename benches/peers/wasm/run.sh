#!/usr/bin/env bash
# Runs the thumbing-wasm peer benchmark and writes docs/benchmarks/wasm.{md,csv}.
#
#   bash benches/peers/wasm/run.sh [--runs N]
#
# Builds the npm package (bindings-wasm/build.sh) and the peer harness, whose worker times native
# thumbing (`thumbing-peers worker`), installs the pinned
# peers into benches/peers/wasm/node_modules (git-ignored) with `npm ci`, then times every
# library on the corpus photos ($THUMBING_CORPUS, default ../shared/corpus next to the repository).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
corpus="${THUMBING_CORPUS:-$root/../shared/corpus}"

[[ -f "$corpus/MANIFEST.tsv" ]] || { echo "run.sh: no test corpus at $corpus (set THUMBING_CORPUS)" >&2; exit 1; }

bash "$root/bindings-wasm/build.sh"
(cd "$root" && cargo build --release -p thumbing-benches --bin thumbing-peers)
(cd "$here" && npm ci --no-audit --no-fund)

photos=("$corpus"/photos-exif-samples/*.jpg "$corpus/sharp-fixtures/2569067123_aca715a2ee_o.jpg" "$corpus/sharp-fixtures/flowers.jpeg")
node "$here/bench.mjs" --native "$target_dir/release/thumbing-peers" --out "$root/docs/benchmarks" "$@" "${photos[@]}"
