#!/usr/bin/env bash
# Builds thumbing's two Lambda packages and deploys the whole avatar system to AWS:
#
#   bash examples/aws-cdk/deploy.sh                         # with the default settings
#   THUMBING_ALLOWED_ORIGINS=https://app.example.com bash examples/aws-cdk/deploy.sh
#   bash examples/aws-cdk/deploy.sh -c webhookUrl=https://example.com/webhooks/avatars
#
# Arguments go to `cdk deploy` (settings as -c name=value, or THUMBING_* variables; see
# examples/aws-cdk/README.md). Needs AWS credentials (any the AWS CLI would use), Node 20,
# rustup and Python 3, and `cdk bootstrap` run once for the account and region.
#
# Steps: `bash lambda/build.sh arm64` (the process function, with cargo-lambda from PyPI),
# cargo-lambda for the upload-URL function, `npm ci`, `cdk deploy`. The stack outputs are
# written to examples/aws-cdk/cdk-outputs.json and, as environment variables for the avatar
# service, to examples/aws-cdk/avatar-service.env.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"
export CDK_DISABLE_VERSION_CHECK=1
log() { printf '\n==> %s\n' "$*" >&2; }

node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if (( node_major < 20 )); then
  echo "Node.js 20 or newer is needed (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi
command -v cargo >/dev/null || { echo "Rust is needed: install rustup from https://rustup.rs" >&2; exit 1; }

if [[ "${THUMBING_SKIP_BUILD:-}" != 1 ]]; then
  log "process function: bash lambda/build.sh arm64"
  bash "$repo/lambda/build.sh" arm64
  # build.sh installed cargo-lambda (and zig) into lambda/.tools.
  export PATH="$repo/lambda/.tools/bin:$PATH"
  log "upload-URL function: cargo lambda build (arm64)"
  (cd "$repo" && cargo lambda build --release --arm64 --output-format zip -p thumbing-avatar-service \
    --bin avatar-upload-url --no-default-features --features lambda)
fi

cd "$here"
log "npm ci"
npm ci --no-audit --no-fund

log "cdk deploy"
npx cdk deploy --no-notices --outputs-file cdk-outputs.json "$@"

# The outputs as the avatar service's settings (examples/avatar-service/README.md).
node dist/bin/service-env.js cdk-outputs.json avatar-service.env
