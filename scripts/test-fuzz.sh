#!/usr/bin/env bash
# The fuzzing part of the test suite (run by scripts/test.sh): lint the fuzz crate, build the
# libFuzzer targets on the stable toolchain, replay every saved regression input and the seed
# corpus through each target, then fuzz each target for a short time.
#
#   bash scripts/test-fuzz.sh                           # 30 s of fuzzing per target
#   THUMBING_FUZZ_SECONDS=300 bash scripts/test-fuzz.sh
#
# A crash, a hang (5 s per input) or more than 2 GiB of memory fails the run; the input is in
# fuzz/artifacts/<target>/ and its base64 is printed, so it can be recovered from a CI log.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${THUMBING_FUZZ_SECONDS:-30}"

rustup component add rustfmt clippy >/dev/null 2>&1 || true
bash scripts/fuzz.sh lint
bash scripts/fuzz.sh replay all
bash scripts/fuzz.sh all "$seconds"
