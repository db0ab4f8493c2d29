#!/usr/bin/env bash
# Checks that every cargo invocation of the test command that builds the AVIF encoder resolves
# the same features for it and everything under it, so that rav1e is compiled once per
# profile rather than once per part (workspace-hack/Cargo.toml says why). On a difference it
# prints the crates, the features each invocation resolves, and fails.
#
#   bash scripts/check-unified-features.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# The package selections of scripts/test.sh and its parts that build thumbing with `avif`.
selections=(
  "-p thumbing -p thumbing-cli"
  "-p thumbing-cli"
  "-p thumbing-python"
  "-p thumbing-storage -p thumbing-lambda"
  "-p thumbing-avatar-service"
)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Everything the encoder is built from.
cargo tree --locked -p thumbing --features avif -e normal,build --prefix none --format '{p}' |
  sed 's/ (.*//' | sort -u >"$out/closure"
i=0
for sel in "${selections[@]}"; do
  # shellcheck disable=SC2086 # the selection is several words on purpose
  for edges in normal,build normal,build,dev; do
    cargo tree --locked $sel -e "$edges" --prefix none --format '{p} {f}' >"$out/$i.$edges"
  done
  i=$((i + 1))
done

python3 - "$out" "${selections[@]}" <<'PY'
import collections, glob, os, sys

out, selections = sys.argv[1], sys.argv[2:]
closure = {line.strip() for line in open(os.path.join(out, "closure")) if line.strip()}
closure.discard(next((c for c in closure if c.startswith("thumbing ")), ""))
# crate -> invocation -> the feature sets it appears with
seen = collections.defaultdict(lambda: collections.defaultdict(set))
for path in glob.glob(os.path.join(out, "*.normal*")):
    index, edges = os.path.basename(path).split(".", 1)
    name = f"{selections[int(index)]} ({'test' if 'dev' in edges else 'build'})"
    for line in open(path):
        words = line.replace(" (*)", "").replace(" (proc-macro)", "").split()
        if len(words) < 2 or " ".join(words[:2]) not in closure:
            continue
        features = words[2] if len(words) > 2 and not words[2].startswith("(") else ""
        seen[" ".join(words[:2])][name].add(features)
problems = []
for crate in sorted(seen):
    variants = {frozenset(v) for v in seen[crate].values()}
    if len(variants) > 1:
        problems.append(crate)
        for name, features in sorted(seen[crate].items()):
            print(f"  {crate:28} {name:52} {' | '.join(sorted(features)) or '(none)'}")
if problems:
    print(f"check-unified-features: {len(problems)} crate(s) under rav1e resolve different features "
          "in different parts of the test command; add the union to workspace-hack/Cargo.toml:",
          ", ".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"check-unified-features: {len(seen)} crates under the AVIF encoder resolve the same "
      f"features in all {len(selections)} selections")
PY
