#!/usr/bin/env bash
# Fuzzes thumbing with libFuzzer on the stable toolchain (no nightly, no cargo-fuzz needed).
#
#   bash scripts/fuzz.sh                  # every target, 60 s each
#   bash scripts/fuzz.sh avatar 600       # one target for ten minutes
#   bash scripts/fuzz.sh build            # only build the targets
#   bash scripts/fuzz.sh lint             # rustfmt and clippy on the fuzz crate
#   bash scripts/fuzz.sh replay [target]  # run the saved regressions and seeds once, no fuzzing
#
# Targets: probe decode_jpeg scaled_jpeg decode_png decode_webp decode_gif avatar (see fuzz/README.md).
# The growing corpus is kept in fuzz/corpus/<target>/, crashes land in fuzz/artifacts/<target>/
# (both git-ignored); seeds are copied from fixtures/ and the shared test corpus
# ($THUMBING_CORPUS) into fuzz/seeds/<target>/ at every run.
#
# Environment: THUMBING_FUZZ_FLAGS adds libFuzzer flags (e.g. "-dict=..." or "-seed=1");
# THUMBING_FUZZ_RUSTFLAGS adds rustc flags (e.g. "-Zsanitizer=address" on a nightly toolchain).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

all_targets=(probe decode_jpeg scaled_jpeg decode_png decode_webp decode_gif avatar)
host=$(rustc -vV | sed -n 's/^host: //p')
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/fuzz/target}"
bin_dir="$CARGO_TARGET_DIR/$host/release"
corpus_root="${THUMBING_CORPUS:-$(cd .. && pwd)/shared/corpus}"

# Coverage instrumentation with flags that stable rustc accepts: the SanitizerCoverage pass
# with inline 8-bit counters and a PC table (what libFuzzer's feedback reads) and comparison
# tracing (so it can solve magic numbers and lengths). `--cfg fuzzing` is what libfuzzer-sys
# and some decoders test for. Passing --target keeps these flags off build scripts and
# proc-macros, which must not be instrumented.
fuzz_rustflags="--cfg fuzzing -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4
  -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table
  -Cllvm-args=-sanitizer-coverage-trace-compares -Cforce-frame-pointers=yes
  ${THUMBING_FUZZ_RUSTFLAGS:-}"

# The flags every run uses: a 2 GiB memory ceiling (a single allocation above it is a crash
# too), 5 s per input (a hang), inputs up to 1 MiB (larger photos add time, not coverage).
libfuzzer_flags=(-rss_limit_mb=2048 -timeout=5 -max_len=1048576 -print_final_stats=1)

build() {
  echo "--- building fuzz targets (stable, SanitizerCoverage) into $bin_dir"
  RUSTFLAGS="$(echo $fuzz_rustflags)" cargo build --locked --release --manifest-path fuzz/Cargo.toml \
    --target "$host" --bins
}

# Lints with the build's flags and target, so the libFuzzer runtime is compiled only once.
lint() {
  echo "--- fuzz crate: rustfmt and clippy"
  cargo fmt --manifest-path fuzz/Cargo.toml -- --check
  RUSTFLAGS="$(echo $fuzz_rustflags)" cargo clippy --locked --release --manifest-path fuzz/Cargo.toml \
    --target "$host" --all-targets -- -D warnings
}

# Prints jpeg, png, gif, webp or other for a file, from its first bytes (like ImageFormat::sniff).
sniff() {
  local magic
  magic=$(head -c 12 "$1" | od -An -tx1 | tr -d ' \n')
  case "$magic" in
    ffd8ff*) echo jpeg ;;
    89504e470d0a1a0a*) echo png ;;
    474946383761* | 474946383961*) echo gif ;;
    52494646????????57454250) echo webp ;;
    *) echo other ;;
  esac
}

# Fills fuzz/seeds/<target>/ from fixtures/ and the shared corpus, files below a size (find's
# -size units, default 4M). The
# avatar target reads 8 bytes of options first, so its seeds get a prefix that varies with
# the file, spreading sizes, fits, crops and formats over the seed set.
make_seeds() {
  local target=$1 max_size=${2:-4M} dir="fuzz/seeds/$1" n=0 f kind want
  rm -rf "$dir"
  mkdir -p "$dir"
  case "$target" in decode_*) want=${target#decode_} ;; scaled_jpeg) want=jpeg ;; *) want=any ;; esac
  local sources=(fixtures)
  if [ -f "$corpus_root/MANIFEST.tsv" ]; then
    sources+=("$corpus_root")
  else
    echo "note: no shared corpus at $corpus_root; seeding from fixtures/ only"
  fi
  while IFS= read -r -d '' f; do
    kind=$(sniff "$f")
    case "$f" in *.md | *.tsv | *.txt) continue ;; esac
    [ "$want" = any ] || [ "$kind" = "$want" ] || continue
    n=$((n + 1))
    if [ "$target" = avatar ]; then
      # size, shape, geometry, focal x, focal y, output, quality, background
      printf "\\x$(printf %02x $((16 + n * 37 % 200)))\\x$(printf %02x $((n * 5 % 256)))" >"$dir/$n"
      printf "\\x$(printf %02x $((n * 11 % 256)))\\x80\\x40\\x$(printf %02x $((n * 7 % 256)))" >>"$dir/$n"
      printf "\\x$(printf %02x $((40 + n * 13 % 61)))\\xff" >>"$dir/$n"
      cat "$f" >>"$dir/$n"
    elif [ "$target" = scaled_jpeg ]; then
      # The scale byte: 1/8 to 8/8 in turn.
      printf "\\x$(printf %02x $((n % 8)))" >"$dir/$n"
      cat "$f" >>"$dir/$n"
    else
      cp "$f" "$dir/$n"
    fi
  done < <(find "${sources[@]}" -type f -size "-$max_size" -print0 | sort -z)
  echo "--- $target: $n seed files in $dir"
}

# Runs every saved regression input and seed of a target once; fails on the first crash.
replay() {
  local target=$1 files=()
  make_seeds "$target"
  mapfile -d '' files < <(find "fuzz/regressions/$target" "fuzz/seeds/$target" -type f -print0 2>/dev/null | sort -z)
  echo "--- $target: replaying ${#files[@]} inputs"
  [ ${#files[@]} -gt 0 ] || return 0
  # In this mode libFuzzer runs each named file once and stops at the first failure.
  "$bin_dir/$target" "${libfuzzer_flags[@]}" "${files[@]}" >"fuzz/artifacts/$target/replay.log" 2>&1 || {
    tail -n 40 "fuzz/artifacts/$target/replay.log"
    echo "--- $target: a saved input FAILED (log: fuzz/artifacts/$target/replay.log)"
    return 1
  }
}

fuzz() {
  local target=$1 seconds=$2 log="fuzz/artifacts/$1/fuzz.log" status=0
  # Small seeds only: mutating a 2 MB photo is slow and rarely reaches new code. The replay
  # runs every seed, large ones included.
  make_seeds "$target" 256k
  mkdir -p "fuzz/corpus/$target" "fuzz/regressions/$target"
  echo "--- $target: fuzzing for $seconds s"
  # The first folder collects new inputs; the others are read-only seeds.
  # shellcheck disable=SC2086 # THUMBING_FUZZ_FLAGS is a list of flags
  "$bin_dir/$target" "${libfuzzer_flags[@]}" -max_total_time="$seconds" \
    -artifact_prefix="fuzz/artifacts/$target/" ${THUMBING_FUZZ_FLAGS:-} \
    "fuzz/corpus/$target" "fuzz/seeds/$target" "fuzz/regressions/$target" >"$log" 2>&1 || status=$?
  # The last status line and the final stats: executions, coverage, corpus size.
  grep -E '^#[0-9]+.*(INITED|pulse|NEW|REDUCE|DONE)' "$log" | head -n 1 | sed "s/^/    first: /"
  grep -E '^#[0-9]+' "$log" | tail -n 1 | sed "s/^/    last:  /"
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" | sed "s/^/    /"
  if [ $status -ne 0 ]; then
    tail -n 60 "$log"
    local crash
    for crash in "fuzz/artifacts/$target"/crash-* "fuzz/artifacts/$target"/timeout-* \
      "fuzz/artifacts/$target"/oom-* "fuzz/artifacts/$target"/leak-*; do
      [ -f "$crash" ] || continue
      echo "--- $target: FAILED on $crash ($(wc -c <"$crash") bytes); base64 of the input:"
      [ "$(wc -c <"$crash")" -le 65536 ] && base64 -w 0 "$crash" && echo
    done
    echo "--- $target: FAILED (log: $log). Reproduce: $bin_dir/$target <input>"
    return 1
  fi
}

what="${1:-all}"
seconds="${2:-60}"
case "$what" in
  all) targets=("${all_targets[@]}") ;;
  build) build; exit 0 ;;
  lint) lint; exit 0 ;;
  replay) what="${2:-all}"; [ "$what" = all ] && targets=("${all_targets[@]}") || targets=("$what") ;;
  *)
    if [[ " ${all_targets[*]} " != *" $what "* ]]; then
      echo "unknown target '$what'; targets: ${all_targets[*]}" >&2
      exit 2
    fi
    targets=("$what")
    ;;
esac
for t in "${targets[@]}"; do mkdir -p "fuzz/artifacts/$t" "fuzz/regressions/$t"; done
# THUMBING_FUZZ_NO_BUILD=1: the targets are built already (scripts/test-fuzz.sh lints in
# parallel, and a second cargo would wait for its lock on the target folder).
[ "${THUMBING_FUZZ_NO_BUILD:-}" = 1 ] || build
failed=()
for t in "${targets[@]}"; do
  if [ "${1:-}" = replay ]; then
    replay "$t" || failed+=("$t")
  else
    fuzz "$t" "$seconds" || failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz targets FAILED: ${failed[*]}"
  exit 1
fi
echo "fuzz targets ok: ${targets[*]}"
