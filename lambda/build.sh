#!/usr/bin/env bash
# Builds the deployment packages of the avatar Lambda function for the provided.al2023
# runtime, on x86_64 and arm64 (Graviton), with cargo-lambda (which cross-compiles and
# links with zig against the glibc of Amazon Linux 2023):
#
#   bash lambda/build.sh            # both architectures
#   bash lambda/build.sh arm64      # one: x86_64 or arm64
#
# Output: lambda/dist/<arch>/thumbing-lambda/bootstrap.zip, ready for
#   aws lambda create-function --runtime provided.al2023 --architectures <arch> \
#     --handler bootstrap --zip-file fileb://lambda/dist/<arch>/thumbing-lambda/bootstrap.zip ...
#
# cargo-lambda (and zig, as the ziglang wheel) are installed from PyPI into lambda/.tools.
# The release profile keeps line tables for local profiling; the packaged binary is
# stripped of debug information (symbols stay, so panic backtraces keep function names)
# with llvm-strip from the rustup component llvm-tools.
set -euo pipefail

CARGO_LAMBDA_VERSION="1.9.2"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
tools="$here/.tools"

if [[ ! -x "$tools/bin/cargo-lambda" ]] \
    || ! "$tools/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('cargo-lambda') != '$CARGO_LAMBDA_VERSION')"; then
    python3 -m venv "$tools"
    "$tools/bin/python" -m pip install --quiet --disable-pip-version-check "cargo-lambda==$CARGO_LAMBDA_VERSION"
fi
export PATH="$tools/bin:$PATH"
rustup component add llvm-tools >/dev/null
strip_tool="$(rustc --print sysroot)/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/bin/llvm-strip"

archs=("$@")
[[ ${#archs[@]} -gt 0 ]] || archs=(x86_64 arm64)

cd "$repo"
for arch in "${archs[@]}"; do
    case "$arch" in
        x86_64) flag=--x86-64 triple=x86_64-unknown-linux-gnu ;;
        arm64) flag=--arm64 triple=aarch64-unknown-linux-gnu ;;
        *) echo "unknown architecture '$arch' (expected x86_64 or arm64)" >&2; exit 2 ;;
    esac
    rustup target add "$triple" >/dev/null
    start=$(date +%s)
    cargo lambda build --release -p thumbing-lambda "$flag" \
        --output-format zip --lambda-dir "$here/dist/$arch"
    out="$here/dist/$arch/thumbing-lambda"
    rm -rf "$out/unpacked" && python3 -m zipfile -e "$out/bootstrap.zip" "$out/unpacked"
    "$strip_tool" --strip-debug -o "$out/bootstrap" "$out/unpacked/bootstrap"
    rm -rf "$out/unpacked"
    # Re-pack the stripped binary, executable, as the only file of the archive.
    python3 - "$out/bootstrap" "$out/bootstrap.zip" <<'PY'
import sys, zipfile
binary, archive = sys.argv[1], sys.argv[2]
info = zipfile.ZipInfo("bootstrap", date_time=(2024, 1, 1, 0, 0, 0))
info.external_attr = 0o100755 << 16
info.compress_type = zipfile.ZIP_DEFLATED
with open(binary, "rb") as f, zipfile.ZipFile(archive, "w") as z:
    z.writestr(info, f.read(), compresslevel=9)
PY
    chmod +x "$out/bootstrap"
    echo "$arch: $out/bootstrap.zip ($(stat -c %s "$out/bootstrap.zip") bytes; binary $(stat -c %s "$out/bootstrap") bytes; built in $(($(date +%s) - start)) s)"
done
