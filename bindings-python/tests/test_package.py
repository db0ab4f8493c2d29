"""Packaging and typing: the installed wheel is abi3 and typed, and the stub matches the module."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

import thumbing
from conftest import IN_CI, missing

HERE = Path(__file__).resolve().parent


def test_installed_wheel_is_abi3_for_python_3_9_and_later() -> None:
    wheel = importlib.metadata.distribution("thumbing").read_text("WHEEL")
    assert wheel, "the installed thumbing has no WHEEL metadata"
    tags = [line.split(":", 1)[1].strip() for line in wheel.splitlines() if line.startswith("Tag:")]
    assert tags and all(t.startswith("cp39-abi3-") for t in tags), tags


def test_installed_wheel_is_a_manylinux_wheel_without_rust() -> None:
    """scripts/test-python.sh installs the wheel into a fresh venv with no Rust on PATH."""
    if not os.environ.get("THUMBING_WHEEL_TEST"):
        missing("not run from a wheel by scripts/test-python.sh (THUMBING_WHEEL_TEST unset)")
    assert shutil.which("cargo") is None and shutil.which("rustc") is None, "Rust is on PATH"
    dist = importlib.metadata.distribution("thumbing")
    wheel = dist.read_text("WHEEL") or ""
    tags = [line.split(":", 1)[1].strip() for line in wheel.splitlines() if line.startswith("Tag:")]
    if sys.platform == "linux":
        # Installable from an index: manylinux, not a bare linux_<arch> tag.
        assert all(re.fullmatch(r"cp39-abi3-manylinux(_\d+_\d+|2014)_(x86_64|aarch64)", t) for t in tags), tags
    files = {str(f) for f in dist.files or []}
    assert any(re.fullmatch(r"thumbing/_thumbing\.abi3\.(so|pyd)", f) for f in files), sorted(files)
    assert Path(thumbing.__file__).resolve().is_relative_to(Path(sys.prefix).resolve()), thumbing.__file__


def test_wheel_carries_both_licence_files() -> None:
    dist = importlib.metadata.distribution("thumbing")
    names = {Path(str(f)).name for f in dist.files or [] if ".dist-info/licenses/" in str(f)}
    assert {"LICENSE-MIT", "LICENSE-APACHE"} <= names, names
    meta = dist.metadata
    assert meta["License-Expression"] == "MIT OR Apache-2.0"
    assert {"LICENSE-MIT", "LICENSE-APACHE"} <= set(meta.get_all("License-File") or [])


def test_sdist_holds_the_sources_and_licences() -> None:
    sdist = os.environ.get("THUMBING_SDIST")
    if not sdist:
        missing("no sdist to check (THUMBING_SDIST unset; scripts/test-python.sh makes one)")
    with tarfile.open(sdist) as tar:
        names = tar.getnames()
    top = names[0].split("/")[0]
    assert re.fullmatch(r"thumbing-\d+\.\d+\.\d+", top), top
    inside = {n.split("/", 1)[1] for n in names if "/" in n}
    for required in ("pyproject.toml", "PKG-INFO", "LICENSE-MIT", "LICENSE-APACHE", "README.md"):
        assert any(n == required or n.endswith("/" + required) for n in inside), (required, sorted(inside))
    # The Rust sources of the extension and of the core crate it needs, to build from source.
    assert any(n.endswith("bindings-python/src/lib.rs") or n == "src/lib.rs" for n in inside), sorted(inside)
    assert any(n.endswith("core/src/lib.rs") for n in inside), sorted(inside)
    assert any(n.endswith("python/thumbing/__init__.py") for n in inside), sorted(inside)
    assert not any("fixtures/" in n or "/tests/" in n and n.endswith(".jpg") for n in inside)


def test_metadata() -> None:
    meta = importlib.metadata.metadata("thumbing")
    assert meta["Name"] == "thumbing"
    assert meta["Requires-Python"] == ">=3.9"
    assert meta["Version"] == thumbing.__version__


def test_package_is_typed() -> None:
    package = Path(thumbing.__file__).parent
    assert (package / "py.typed").is_file()
    assert (package / "__init__.pyi").is_file()
    assert set(thumbing.__all__) == {n for n in dir(thumbing) if not n.startswith("_")} | {"__version__"}


def have_mypy() -> bool:
    if importlib.util.find_spec("mypy") is None:
        if IN_CI:
            pytest.fail("mypy is not installed (CI=true: this is a failure, not a skip)", pytrace=False)
        return False
    return True


def test_stub_matches_the_runtime_module() -> None:
    if not have_mypy():
        missing("mypy is not installed, so the stub was not checked against the module")
    proc = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "thumbing"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_typed_usage_passes_mypy_strict() -> None:
    if not have_mypy():
        missing("mypy is not installed, so typed usage was not checked")
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(HERE / "typed_usage.py")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_stub_rejects_wrong_types() -> None:
    if not have_mypy():
        missing("mypy is not installed, so the stub's strictness was not checked")
    bad = (
        "import thumbing\n"
        "thumbing.avatar(b'', 5, format='gif')\n"
        "thumbing.process(b'', sizes=512)\n"
        "thumbing.avatar(42)\n"
        "x: str = thumbing.avatar(b'')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "-c", bad],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 1
    assert proc.stdout.count("error:") == 4, proc.stdout


def test_readme_install_says_it_compiles_and_for_how_long() -> None:
    """Installing from a checkout compiles for minutes: the docs say so and show progress."""
    repo = HERE.parents[1]
    for doc in (repo / "README.md", repo / "bindings-python" / "README.md"):
        lines = [line for line in doc.read_text().splitlines() if re.match(r"\s*pip install .*\./bindings-python", line)]
        assert lines, f"{doc} shows no install line"
        for line in lines:
            assert " -v " in line, f"{doc}: no progress is shown: {line}"
            assert "minute" in line, f"{doc}: the time it takes is not said: {line}"
