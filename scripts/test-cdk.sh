#!/usr/bin/env bash
# Tests of the AWS deployment (examples/aws-cdk/), offline: no AWS account, no Rust build.
#
#   bash scripts/test-cdk.sh
#
# On a fresh Debian machine with Node 20 and Python 3 it installs what it needs: the pinned npm
# packages (npm ci: aws-cdk-lib, the aws-cdk CLI, TypeScript) and cfn-lint from PyPI into
# examples/aws-cdk/.venv. Then it runs:
#   1. tsc                      (type check and build, strict)
#   2. node --test              (template assertions with aws-cdk-lib/assertions, settings validation,
#                               regenerate.sh's manifest writer), and bash -n on the scripts
#   3. synth, twice             (cdk synth with the default settings, without network; the app
#                               with every optional feature on), small fixture zips standing in
#                               for the two Lambda packages
#   4. cfn-lint                 on both synthesized templates
set -euo pipefail

CFN_LINT_VERSION="1.58.0"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/apt.sh
source "$root/scripts/lib/apt.sh"
here="$root/examples/aws-cdk"
log() { printf '\n==> %s\n' "$*" >&2; }

node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if (( node_major < 20 )); then
  echo "Node.js 20 or newer is needed (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  apt_install python3-venv
fi

# No network besides the package registries: no CDK version check, notices or telemetry.
export CDK_DISABLE_VERSION_CHECK=1 CDK_DISABLE_CLI_TELEMETRY=true
# The stack stays environment-agnostic: ignore whatever account/region the shell may carry.
unset CDK_DEFAULT_ACCOUNT CDK_DEFAULT_REGION AWS_PROFILE AWS_REGION AWS_DEFAULT_REGION
while read -r name; do unset "$name"; done < <(env | sed -n 's/^\(THUMBING_[A-Z_]*\)=.*/\1/p')

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$here"
log "npm ci"
npm ci --no-audit --no-fund

log "tsc (strict type check and build)"
npx tsc

log "node --test"
node --test --test-reporter=spec dist/test/*.test.js

log "the scripts parse, and regenerate.sh documents itself"
for script in deploy.sh destroy.sh regenerate.sh; do bash -n "$script"; done
bash regenerate.sh --help | grep -q "S3 Batch Operations job"

log "cdk synth (fixture zips in place of the Rust builds)"
printf '#!/bin/sh\necho fixture\n' > "$work/bootstrap"
(cd "$work" && python3 -m zipfile -c process.zip bootstrap && python3 -m zipfile -c upload-url.zip bootstrap)
# Offline for real: in a network namespace of its own (no interfaces but loopback) where the
# machine allows one. Built just above: skip the `tsc` of cdk.json's app command.
offline=()
if unshare -n true 2>/dev/null; then offline=(unshare -n); else echo "(no network namespace here: cdk synth runs with the network)"; fi
"${offline[@]}" npx cdk synth --no-notices --quiet --app "node dist/bin/thumbing.js" \
  -c "processZip=$work/process.zip" -c "uploadUrlZip=$work/upload-url.zip" -o "$work/default"
# Every optional feature on, through the THUMBING_* environment variables (the app itself
# synthesizes into CDK_OUTDIR, as under the CLI).
mkdir "$work/full"
CDK_OUTDIR="$work/full" \
  THUMBING_PROCESS_ZIP="$work/process.zip" THUMBING_UPLOAD_URL_ZIP="$work/upload-url.zip" \
  THUMBING_STACK_NAME=ThumbingFull THUMBING_ACCOUNT=123456789012 THUMBING_REGION=eu-west-1 \
  THUMBING_ALLOWED_ORIGINS=https://app.example.com,http://localhost:8080 \
  THUMBING_UPLOAD_PREFIX=uploads THUMBING_SIZES=512,128 THUMBING_UPLOAD_RETENTION_DAYS=3 \
  THUMBING_WEBHOOK_URL=https://hooks.example.com/webhooks/avatars \
  THUMBING_DOMAIN_NAME=assets.example.com \
  THUMBING_CERTIFICATE_ARN=arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d \
  THUMBING_HOSTED_ZONE_ID=Z0123456789ABCDEFGHIJ THUMBING_HOSTED_ZONE_NAME=example.com \
  THUMBING_PRICE_CLASS=100 THUMBING_RETAIN_DATA=false \
  node dist/bin/thumbing.js
ls "$work"/default/*.template.json "$work"/full/*.template.json

log "cfn-lint $CFN_LINT_VERSION"
if ! .venv/bin/python -c "import importlib.metadata as m, sys; sys.exit(m.version('cfn-lint') != '$CFN_LINT_VERSION')" 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "cfn-lint==$CFN_LINT_VERSION"
fi
# Settings (and the one ignored check, with its reason) are in .cfnlintrc.yaml.
.venv/bin/cfn-lint --config-file .cfnlintrc.yaml -- "$work"/default/*.template.json "$work"/full/*.template.json
echo "cfn-lint: 2 templates, no findings"
