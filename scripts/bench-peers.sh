#!/usr/bin/env bash
# Installs the benchmark peers into the git-ignored .peers/ folder and runs the side-by-side
# harness (benches/, binary thumbing-peers), which writes docs/benchmarks/peers.{md,csv,svg}
# and the summary in docs/benchmarks/README.md.
#
#   scripts/bench-peers.sh            # full run (about 5 minutes on 2 cores once installed)
#   scripts/bench-peers.sh --quick    # two cases, 3 runs: checks the set-up end to end
#   scripts/bench-peers.sh --runs 21 --cases HMD
#
# Peers, pinned: sharp from npm (benches/peers/package.json + package-lock.json), Pillow,
# pyvips and pyvips-binary from PyPI (benches/peers/requirements.txt).
# Needs: cargo, Node >= 20.9 with npm, Python >= 3.9 with venv. Environment:
#   THUMBING_CORPUS   the image corpus (default: ../shared/corpus next to the repository)
#   PEERS_DIR         where peers are installed (default: <repo>/.peers)
#   CARGO_TARGET_DIR  honoured as usual
#
# Other thumbing builds, run after the main comparison when their scripts exist (each
# installs what it needs and writes its own report into docs/benchmarks/):
#   benches/peers/python_module.py   thumbing's Python module vs Pillow/pyvips -> python.*
#   benches/peers/wasm/run.sh        thumbing's WASM build under Node vs sharp -> wasm.*
#   benches/peers/lambda/run.sh      thumbing-lambda vs the Node + sharp function -> lambda.*
# With --quick they get their own short settings. --no-hooks skips them.
# Workers speaking the thumbing-peers protocol (benches/peers/README.md) are also picked up:
#   benches/peers/python_worker.py -> thumbing-peers run --suite python
#   benches/peers/wasm/worker.mjs  -> thumbing-peers run --suite wasm
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PEERS_DIR="${PEERS_DIR:-$ROOT/.peers}"
mkdir -p "$PEERS_DIR"
PEERS_DIR="$(cd "$PEERS_DIR" && pwd)"
SPEC="$ROOT/benches/peers"
# shellcheck source=lib/apt.sh
source "$ROOT/scripts/lib/apt.sh"

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

command -v cargo >/dev/null || die "cargo is required (https://rustup.rs)"
command -v node >/dev/null || die "Node >= 20.9 is required"
command -v npm >/dev/null || die "npm is required"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=9)?0:1)' \
  || die "Node >= 20.9 is required for sharp, found $(node --version)"
PYTHON="${PYTHON:-python3}"
command -v "$PYTHON" >/dev/null || die "Python 3 is required"

# A stamp per installation: reinstall only when the pinned versions change.
stamp() { cat "$@" | sha256sum | cut -d' ' -f1; }

NODE_DIR="$PEERS_DIR/node"
# shellcheck source=lib/sharp.sh
source "$ROOT/scripts/lib/sharp.sh"
install_sharp "$NODE_DIR" "$SPEC"

VENV="$PEERS_DIR/venv"
py_stamp="$(stamp "$SPEC/requirements.txt")"
if [[ "$(cat "$VENV/.stamp" 2>/dev/null)" != "$py_stamp" ]]; then
  say "installing Pillow and pyvips into $VENV"
  rm -rf "$VENV"
  if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
    # Debian's python3 ships venv separately.
    if command -v apt-get >/dev/null && apt_install python3-venv >/dev/null; then
      rm -rf "$VENV"
      "$PYTHON" -m venv "$VENV"
    else
      die "'$PYTHON -m venv' failed; install the python3-venv package"
    fi
  fi
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$SPEC/requirements.txt"
  echo "$py_stamp" >"$VENV/.stamp"
fi

# The benchmark photo set (benches/peers/photos.py: 14 photos of 2-24 MP made from the corpus's
# camera photos with libjpeg-turbo's cjpeg/djpeg/jpegtran; recipes in photos/photos.tsv).
CORPUS_DIR="${THUMBING_CORPUS:-$ROOT/../shared/corpus}"
if [[ -f "$CORPUS_DIR/MANIFEST.tsv" ]]; then
  if ! command -v cjpeg >/dev/null || ! command -v jpegtran >/dev/null; then
    apt_install libjpeg-turbo-progs >/dev/null || die "cjpeg/jpegtran are needed: apt-get install libjpeg-turbo-progs"
  fi
  "$VENV/bin/python" "$SPEC/photos.py" "$CORPUS_DIR" "$PEERS_DIR/photos"
fi

say "building thumbing-peers (release)"
cargo build --release -p thumbing-benches --bin thumbing-peers
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET_DIR/release/thumbing-peers"
[[ -x "$BIN" ]] || die "built binary not found at $BIN"

export THUMBING_PEERS_COMMAND="scripts/bench-peers.sh${*:+ $*}"
hooks=1 quick=0 args=()
for a in "$@"; do
  case "$a" in
    --no-hooks) hooks=0 ;;
    --quick) quick=1; args+=("$a") ;;
    *) args+=("$a") ;;
  esac
done

say "running the harness"
"$BIN" run --peers-dir "$PEERS_DIR" ${args[@]+"${args[@]}"}
[[ "$hooks" == 1 ]] || exit 0

status=0
hook() { # name, command...
  local name="$1"; shift
  say "running the $name benchmark: $*"
  if ! "$@"; then
    printf 'error: the %s benchmark failed\n' "$name" >&2
    status=1
  fi
}
if [[ -f "$SPEC/python_worker.py" ]]; then
  hook "Python-module (harness)" "$BIN" run --suite python --peers-dir "$PEERS_DIR" ${args[@]+"${args[@]}"}
fi
if [[ -f "$SPEC/wasm/worker.mjs" || -f "$SPEC/wasm/worker.js" ]]; then
  hook "WASM (harness)" "$BIN" run --suite wasm --peers-dir "$PEERS_DIR" ${args[@]+"${args[@]}"}
fi
if [[ -f "$SPEC/python_module.py" ]]; then
  if [[ "$quick" == 1 ]]; then hook "Python-module" "$PYTHON" "$SPEC/python_module.py" --rounds 7
  else hook "Python-module" "$PYTHON" "$SPEC/python_module.py"; fi
fi
if [[ -f "$SPEC/wasm/run.sh" ]]; then
  if [[ "$quick" == 1 ]]; then hook "WASM" bash "$SPEC/wasm/run.sh" --runs 3
  else hook "WASM" bash "$SPEC/wasm/run.sh"; fi
fi
if [[ -f "$SPEC/lambda/run.sh" ]]; then
  if [[ "$quick" == 1 ]]; then hook "Lambda" env ROUNDS=1 WARM=3 bash "$SPEC/lambda/run.sh"
  else hook "Lambda" bash "$SPEC/lambda/run.sh"; fi
fi
exit "$status"
