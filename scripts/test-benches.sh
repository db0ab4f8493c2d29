#!/usr/bin/env bash
# Tests of the benchmark crate (benches/, package thumbing-benches): unit and doc tests of the
# reference resampler, SSIM, statistics and chart; the harness end to end with thumbing alone
# (worker protocol, memory run, scoring, report files); and one untimed pass of every criterion
# bench. Makes no timing assertions. Needs only cargo; the peers (sharp, Pillow, pyvips) are
# not involved — scripts/bench-peers.sh runs the real comparison.
#
# The image corpus comes from $THUMBING_CORPUS (default ../shared/corpus); with CI=true a
# missing corpus is an error, otherwise the tests that need it say that they are skipped.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

rustup component add rustfmt clippy >/dev/null 2>&1 || true
cargo fmt -p thumbing-benches -- --check
cargo clippy --locked -p thumbing-benches --all-targets -- -D warnings
# Library, binary and integration tests, plus every criterion bench run once in test mode.
cargo test --locked -p thumbing-benches --all-targets
cargo test --locked -p thumbing-benches --doc
