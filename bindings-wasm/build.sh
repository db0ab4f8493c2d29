#!/usr/bin/env bash
# Builds the thumbing-wasm npm package into bindings-wasm/pkg/.
#
#   bash bindings-wasm/build.sh
#
# Installs what it needs: the wasm32-unknown-unknown Rust target, and wasm-bindgen-cli of
# exactly the version of the wasm-bindgen crate in Cargo.lock (into bindings-wasm/.tools/).
# Then: cargo build (simd128, size-optimised `wasm-release` profile) -> wasm-bindgen (ES module
# glue + .d.ts) -> wasm-opt when available -> copy the hand-written JS entry points.
#
# Environment:
#   CARGO_TARGET_DIR       cargo's target directory (default: <repo>/target)
#   THUMBING_WASM_OPT      off (default), on (run wasm-opt -Os if installed), install (cargo-install
#                          the `wasm-opt` crate first: it compiles Binaryen's C++, which takes
#                          well over an hour on 2 cores). Off by default: on this module it
#                          shrinks the raw file by ~6 % but makes the gzipped one ~4 % larger.
#   THUMBING_WASM_PROFILE  cargo profile (default: wasm-release)
#   THUMBING_TOOLS_DIR     where wasm-bindgen-cli is installed (default: bindings-wasm/.tools)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
# THUMBING_TOOLS_DIR lets CI keep the installed tools outside the clone, between runs.
tools="${THUMBING_TOOLS_DIR:-$here/.tools}"
pkg="$here/pkg"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
profile="${THUMBING_WASM_PROFILE:-wasm-release}"
wasm_opt_mode="${THUMBING_WASM_OPT:-off}"
# The wasm-opt crate's version (it bundles Binaryen); pinned for reproducible output.
wasm_opt_version="0.116.1"

log() { printf '==> %s\n' "$*" >&2; }

# The exact wasm-bindgen version the crate resolved to: the CLI must match it.
bindgen_version="$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' "$root/Cargo.lock")"
if [[ -z "$bindgen_version" ]]; then
  bindgen_version="$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' "$here/Cargo.toml")"
fi
[[ -n "$bindgen_version" ]] || { echo "build.sh: cannot tell the wasm-bindgen version" >&2; exit 1; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

wasm_bindgen=""
for candidate in "$tools/bin/wasm-bindgen" "$(command -v wasm-bindgen || true)"; do
  if [[ -n "$candidate" && -x "$candidate" && "$("$candidate" --version 2>/dev/null)" == "wasm-bindgen $bindgen_version" ]]; then
    wasm_bindgen="$candidate"
    break
  fi
done
if [[ -z "$wasm_bindgen" ]]; then
  log "cargo install wasm-bindgen-cli --version $bindgen_version --locked (a few minutes, once)"
  # A build tool, not shipped code: no LTO and parallel codegen halve its compile time.
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_DEBUG=false \
    cargo install wasm-bindgen-cli --version "$bindgen_version" --locked --root "$tools"
  wasm_bindgen="$tools/bin/wasm-bindgen"
fi

wasm_opt=""
case "$wasm_opt_mode" in
  off) ;;
  on | install)
    for candidate in "$tools/bin/wasm-opt" "$(command -v wasm-opt || true)"; do
      if [[ -n "$candidate" && -x "$candidate" ]]; then
        wasm_opt="$candidate"
        break
      fi
    done
    if [[ -z "$wasm_opt" && "$wasm_opt_mode" == install ]]; then
      log "cargo install wasm-opt --version $wasm_opt_version --locked (builds Binaryen from C++: slow, once)"
      cargo install wasm-opt --version "$wasm_opt_version" --locked --root "$tools"
      wasm_opt="$tools/bin/wasm-opt"
    fi
    ;;
  *)
    echo "build.sh: THUMBING_WASM_OPT must be off, on or install (got $wasm_opt_mode)" >&2
    exit 2
    ;;
esac

log "cargo build -p thumbing-wasm --target wasm32-unknown-unknown --profile $profile (simd128)"
(
  cd "$root"
  RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+simd128" \
    cargo build -p thumbing-wasm --target wasm32-unknown-unknown --profile "$profile"
)
raw="$target_dir/wasm32-unknown-unknown/$profile/thumbing_wasm.wasm"

log "wasm-bindgen $bindgen_version --target web"
rm -rf "$pkg"
mkdir -p "$pkg"
"$wasm_bindgen" "$raw" --out-dir "$pkg" --out-name thumbing_wasm --target web \
  --experimental-reset-state-function --remove-name-section --remove-producers-section

if [[ -n "$wasm_opt" ]]; then
  log "wasm-opt -Os ($("$wasm_opt" --version))"
  # The features rustc enables by default for wasm32 (Rust >= 1.87), plus simd128.
  "$wasm_opt" -Os --strip-debug --strip-producers \
    --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-multivalue --enable-reference-types --enable-simd \
    "$pkg/thumbing_wasm_bg.wasm" -o "$pkg/thumbing_wasm_bg.opt.wasm"
  mv "$pkg/thumbing_wasm_bg.opt.wasm" "$pkg/thumbing_wasm_bg.wasm"
elif [[ "$wasm_opt_mode" != off ]]; then
  echo "build.sh: wasm-opt is not installed (THUMBING_WASM_OPT=install builds it)" >&2
  exit 1
fi

cp "$here"/js/*.js "$here"/js/*.d.ts "$here/js/package.json" "$pkg/"
cp "$here/README.md" "$pkg/README.md"
cp "$root/LICENSE-MIT" "$root/LICENSE-APACHE" "$pkg/"

size=$(wc -c <"$pkg/thumbing_wasm_bg.wasm")
gz=$(gzip -9 -c "$pkg/thumbing_wasm_bg.wasm" | wc -c)
log "built $pkg: thumbing_wasm_bg.wasm $size bytes, $gz bytes gzipped (gzip -9)"
