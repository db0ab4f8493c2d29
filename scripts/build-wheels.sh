#!/usr/bin/env bash
# Builds thumbing's Python distributions for release into bindings-python/dist/ (git-ignored):
#
#   - abi3 wheels (cp39-abi3: CPython 3.9 and every later version) for manylinux2014
#     (glibc >= 2.17) on x86_64 and aarch64, both cross-linked by maturin with zig (the
#     `ziglang` package from PyPI), so the build machine's glibc does not leak into them;
#   - the sdist, for every other platform (building it needs Rust).
#
#   bash scripts/build-wheels.sh            # build and check the files
#   bash scripts/build-wheels.sh --test     # also run the Python test suite against the
#                                           # x86_64 wheel in a fresh venv without Rust
#
# A release build, not part of `scripts/test.sh` (scripts/test-python.sh tests the wheel it
# builds for the machine itself). Installs what it needs: the Rust targets (rustup), and the
# pinned maturin and ziglang into bindings-python/.venv-build/ (git-ignored). About 10 minutes
# on 2 cores from cold, most of it two release builds of the extension.
#
# Environment: CARGO_TARGET_DIR (default <repo>/target), PYTHON (default python3),
# THUMBING_CORPUS for --test.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
# shellcheck source=lib/python.sh
source "$repo/scripts/lib/python.sh"
export_target_dir
python="${PYTHON:-python3}"
venv="$repo/bindings-python/.venv-build"
dist="$repo/bindings-python/dist"
# Pinned build tools: maturin as in requirements-test.txt; zig as the cross linker.
maturin_pin="$(grep '^maturin==' bindings-python/requirements-test.txt)"
ziglang_pin="ziglang==0.15.2"
targets=(x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu)
run_tests=false
[[ "${1:-}" == "--test" ]] && run_tests=true

step() { printf '\n==> %s\n' "$*"; }

step "build virtualenv $venv ($maturin_pin, $ziglang_pin)"
if ! "$venv/bin/python" -c 'import sys' 2>/dev/null; then
    rm -rf "$venv"
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$maturin_pin" "$ziglang_pin"
# maturin --zig runs `python -m ziglang` with the interpreter it finds first.
export PATH="$venv/bin:$PATH"

for target in "${targets[@]}"; do
    if ! rustup target list --installed | grep -qx "$target"; then
        step "rustup target add $target"
        rustup target add "$target"
    fi
done

rm -rf "$dist"
for target in "${targets[@]}"; do
    step "maturin build --release --target $target --zig (manylinux2014)"
    maturin build --release -m bindings-python/Cargo.toml --target "$target" --zig \
        --compatibility manylinux2014 --out "$dist"
done
step "maturin sdist"
maturin sdist -m bindings-python/Cargo.toml --out "$dist"

step "checking the files"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)"
"$venv/bin/python" - "$dist" "$version" <<'EOF'
import sys, tarfile, zipfile
from pathlib import Path

dist, version = Path(sys.argv[1]), sys.argv[2]
# ELF e_machine of the extension module: what it really runs on.
machines = {62: "x86_64", 183: "aarch64"}
for arch in ("x86_64", "aarch64"):
    wheels = list(dist.glob(f"thumbing-{version}-cp39-abi3-manylinux*{arch}.whl"))
    assert len(wheels) == 1, f"no single manylinux {arch} wheel in {sorted(p.name for p in dist.iterdir())}"
    with zipfile.ZipFile(wheels[0]) as whl:
        names = whl.namelist()
        so = [n for n in names if n.startswith("thumbing/_thumbing") and n.endswith(".so")]
        assert so == ["thumbing/_thumbing.abi3.so"], so
        elf = whl.read(so[0])
        machine = machines.get(int.from_bytes(elf[18:20], "little"))
        assert machine == arch, f"{wheels[0].name} holds a {machine} module"
        for needed in ("thumbing/__init__.py", "thumbing/__init__.pyi", "thumbing/py.typed"):
            assert needed in names, f"{wheels[0].name} lacks {needed}"
        licences = {Path(n).name for n in names if ".dist-info/licenses/" in n}
        assert {"LICENSE-MIT", "LICENSE-APACHE"} <= licences, licences
    print(f"ok  {wheels[0].name}  {wheels[0].stat().st_size // 1024} KiB, {arch} ELF")
sdists = list(dist.glob(f"thumbing-{version}.tar.gz"))
assert len(sdists) == 1, sorted(p.name for p in dist.iterdir())
with tarfile.open(sdists[0]) as tar:
    names = tar.getnames()
assert any(n.endswith("/core/src/lib.rs") for n in names), "the sdist lacks the core crate"
assert any(n.endswith("/pyproject.toml") for n in names)
print(f"ok  {sdists[0].name}  {sdists[0].stat().st_size // 1024} KiB, {len(names)} files")
EOF

if $run_tests; then
    step "the Python test suite against the x86_64 wheel, in a fresh venv without Rust"
    export THUMBING_CORPUS="${THUMBING_CORPUS:-$repo/../shared/corpus}"
    export THUMBING_CLI="$CARGO_TARGET_DIR/release/thumbing"
    export THUMBING_SDIST="$(ls "$dist"/thumbing-*.tar.gz)"
    cargo build --release -p thumbing-cli
    test_wheel "$(ls "$dist"/thumbing-*x86_64.whl)" "$(mktemp -d)/venv"
fi
echo "wheels and sdist in $dist"
