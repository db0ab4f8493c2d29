#!/usr/bin/env bash
# Checks the thumbing crate as crates.io would take it, short of publishing (which needs an
# account): run by `bash scripts/test.sh rust`, and on its own:
#
#   bash scripts/check-crate.sh
#
#   1. `cargo package --list -p thumbing`: the library's sources, Cargo.toml, README.md and both
#      licence files (the licence is "MIT OR Apache-2.0"), and nothing else: no tests,
#      examples or fixtures;
#   2. the crate's README links only to files inside the package or to absolute URLs;
#   3. `cargo publish --dry-run --no-verify -p thumbing`: the metadata and the registry's checks
#      pass; then the packaged crate, unpacked, type-checks on its own (`cargo check`: what the
#      dry run's own verification build proves, in a third of its time); the .crate file
#      stays small and holds the repository's licence texts;
#   4. every `thumbing = { … }` dependency line in the repository's README.md resolves, for a
#      project next to a clone of the repository (a line that cannot work today fails here).
#
# Environment: CARGO_TARGET_DIR (default <repo>/target).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
target="${CARGO_TARGET_DIR:-$repo/target}"
case "$target" in /*) ;; *) target="$repo/$target" ;; esac
# The packaged crate, gzipped: the sources are ~300 KB of text.
max_crate_bytes=$((256 * 1024))
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

step() { printf '\n==> %s\n' "$*"; }
fail() {
  echo "check-crate.sh: $*" >&2
  exit 1
}

step "cargo package --list -p thumbing"
cargo package --list -p thumbing --allow-dirty >"$work/list"
for required in Cargo.toml README.md LICENSE-MIT LICENSE-APACHE src/lib.rs; do
  grep -qx "$required" "$work/list" || fail "the package lacks $required"
done
if extra="$(grep -Ev '^(src/.+\.rs|Cargo\.toml|Cargo\.toml\.orig|Cargo\.lock|README\.md|LICENSE-MIT|LICENSE-APACHE|\.cargo_vcs_info\.json)$' "$work/list")"; then
  fail "the package holds files it should not: $extra"
fi
echo "$(wc -l <"$work/list") files"

step "links in core/README.md"
# Relative links must name a file of the package; anything else must be an absolute URL.
while read -r link; do
  case "$link" in
    http://* | https://*) ;;
    *) grep -qx "$link" "$work/list" || fail "core/README.md links to $link, which is not in the package" ;;
  esac
done < <(grep -o '\]([^)]*)' core/README.md | sed 's/^](//; s/)$//')

step "cargo publish --dry-run --no-verify -p thumbing"
# The warnings about tests and examples left out of the package are expected: they stay here.
cargo publish --dry-run --no-verify --locked -p thumbing --allow-dirty
# The .crate file the dry run made (target/package/, or tmp-crate/ below it).
crate="$(find "$target/package" -name 'thumbing-*.crate' -newer "$work/list" | sort -V | tail -n 1)"
[ -n "$crate" ] || fail "cargo publish --dry-run left no .crate file under $target/package"
bytes=$(wc -c <"$crate")
echo "$crate: $bytes bytes"
[ "$bytes" -le "$max_crate_bytes" ] || fail "$crate is $bytes bytes, over $max_crate_bytes"
mkdir "$work/unpacked"
tar -xzf "$crate" -C "$work/unpacked"
unpacked="$(echo "$work"/unpacked/thumbing-*)"
# The licence files are the repository's texts (core/LICENSE-* are links to them).
for licence in LICENSE-MIT LICENSE-APACHE; do
  cmp -s "$unpacked/$licence" "$licence" || fail "the packaged $licence differs from the repository's"
done
grep -q 'Apache License' "$unpacked/LICENSE-APACHE" || fail "LICENSE-APACHE is not the Apache License"

step "cargo check of the packaged crate, on its own"
cargo check --locked --manifest-path "$unpacked/Cargo.toml"

step "the dependency lines of README.md"
lines="$(grep -E '^thumbing = \{' README.md || true)"
[ -n "$lines" ] || fail "README.md shows no \`thumbing = { … }\` dependency line"
# A project beside a clone of the repository named `thumbing`, as the README puts it.
ln -s "$repo" "$work/thumbing"
while IFS= read -r line; do
  app="$work/app-$RANDOM"
  mkdir -p "$app/src"
  printf '[package]\nname = "readme-app"\nversion = "0.0.0"\nedition = "2024"\n\n[dependencies]\n%s\n' "$line" >"$app/Cargo.toml"
  echo 'fn main() {}' >"$app/src/main.rs"
  cp Cargo.lock "$app/Cargo.lock"
  if ! resolved="$(cargo metadata --format-version 1 --manifest-path "$app/Cargo.toml" 2>&1)"; then
    fail "README.md: \`$line\` does not resolve: $resolved"
  fi
  grep -q '"name":"thumbing"' <<<"$resolved" || fail "README.md: \`$line\` is not the thumbing crate"
  echo "ok: $line"
done <<<"$lines"
echo "check-crate.sh: the crate is ready to publish"
