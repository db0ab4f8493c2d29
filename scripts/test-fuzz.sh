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
bash scripts/fuzz.sh build
# Lint on the second core while the (single-threaded) fuzzer runs on the first.
mkdir -p fuzz/artifacts
bash scripts/fuzz.sh lint >fuzz/artifacts/lint.log 2>&1 &
lint_pid=$!
status=0
THUMBING_FUZZ_NO_BUILD=1 bash scripts/fuzz.sh replay all || status=1
THUMBING_FUZZ_NO_BUILD=1 bash scripts/fuzz.sh all "$seconds" || status=1
if wait "$lint_pid"; then
  echo "--- fuzz crate: rustfmt and clippy ok"
else
  cat fuzz/artifacts/lint.log
  echo "--- fuzz crate: rustfmt or clippy FAILED"
  status=1
fi
exit $status
