#!/usr/bin/env bash
# The main job on embedded defaults: 512 px and 128 px avatars of the sample photos in
# fixtures/, written to out/avatars/. No set-up beyond a Rust toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."
photos=(
  fixtures/flowers.jpeg fixtures/low-contrast.jpg fixtures/progressive-cat.jpg fixtures/portrait_2.jpg
  fixtures/concert.jpg fixtures/cmyk.jpg fixtures/landscape_6.jpg fixtures/landscape.webp
  fixtures/with-alpha.png fixtures/p3.png fixtures/grey-8bit-alpha.png
)
cargo run --release --quiet -p thumbing-cli -- avatar "${photos[@]}" -o out/avatars --sizes 512,128 "$@"
echo "avatars written to $(pwd)/out/avatars"
