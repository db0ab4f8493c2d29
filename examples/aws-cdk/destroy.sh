#!/usr/bin/env bash
# Deletes the stack made by deploy.sh. The assets bucket (the avatars) and the Cognito user
# pool are kept unless the stack was deployed with -c retainData=false; see README.md.
#
#   bash examples/aws-cdk/destroy.sh            # arguments go to `cdk destroy` (e.g. --force)
#
# Pass the same settings as for deploy (-c stackName=…, THUMBING_*), so the same stack is found.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export CDK_DISABLE_VERSION_CHECK=1
cd "$here"
[[ -d node_modules ]] || npm ci --no-audit --no-fund

# Deleting needs no Lambda package: a placeholder stands in for both, so that destroy works
# without a Rust build.
placeholder="$(mktemp -d)"
trap 'rm -rf "$placeholder"' EXIT
printf '#!/bin/sh\n' > "$placeholder/bootstrap"
(cd "$placeholder" && python3 -m zipfile -c bootstrap.zip bootstrap)
npx cdk destroy --no-notices \
  -c "processZip=$placeholder/bootstrap.zip" -c "uploadUrlZip=$placeholder/bootstrap.zip" "$@"
