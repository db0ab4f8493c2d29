#!/usr/bin/env bash
# Benchmarks thumbing-lambda against the original Node.js + sharp function and writes
# docs/benchmarks/lambda.md and docs/benchmarks/lambda.csv.
#
#   bash benches/peers/lambda/run.sh
#
# Installs: moto[server] (lambda/.venv), the Node peer's packages (npm ci), and builds the
# deployment packages with lambda/build.sh unless THUMBING_LAMBDA_BOOTSTRAP points at a
# built binary (or SKIP_BUILD=1 reuses lambda/dist). Options through the environment:
# ROUNDS (default 2), WARM (default 10),
# THUMBING_CORPUS (default ../shared/corpus beside the repository).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
corpus="${THUMBING_CORPUS:-$repo/../shared/corpus}"
venv="$repo/lambda/.venv"

[[ -f "$corpus/MANIFEST.tsv" ]] || { echo "no image corpus at $corpus (set THUMBING_CORPUS)" >&2; exit 1; }
command -v node >/dev/null || { echo "Node.js 20 or newer is needed" >&2; exit 1; }

# shellcheck source=../../../scripts/lib/moto.sh
source "$repo/scripts/lib/moto.sh"
install_moto "$venv"
(cd "$here/node" && npm ci --omit=dev --no-audit --no-fund --loglevel=error)

zips=()
if [[ -n "${THUMBING_LAMBDA_BOOTSTRAP:-}" ]]; then
    bootstrap="$THUMBING_LAMBDA_BOOTSTRAP"
else
    # SKIP_BUILD=1 reuses the packages of an earlier lambda/build.sh.
    [[ "${SKIP_BUILD:-}" == 1 ]] || bash "$repo/lambda/build.sh"
    dist="$repo/lambda/dist"
    bootstrap="$dist/x86_64/thumbing-lambda/bootstrap"
    zips=("$dist/x86_64/thumbing-lambda/bootstrap.zip" "$dist/arm64/thumbing-lambda/bootstrap.zip")
fi

versions=$(printf '{"rustc": "%s", "thumbing-lambda binary": "%s bytes"}' \
    "$(rustc --version)" "$(stat -c %s "$bootstrap")")

"$venv/bin/python" "$here/bench.py" \
    --rust-bootstrap "$bootstrap" \
    --rust-zips "${zips[@]}" \
    --node-dir "$here/node" \
    --corpus "$corpus" \
    --moto-server "$venv/bin/moto_server" \
    --event-template "$repo/lambda/tests/events/s3-put.json" \
    --rounds "${ROUNDS:-2}" \
    --warm "${WARM:-10}" \
    --versions "$versions" \
    --out-md "$repo/docs/benchmarks/lambda.md" \
    --out-csv "$repo/docs/benchmarks/lambda.csv"
