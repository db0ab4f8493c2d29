"""Packaging and typing: the installed wheel is abi3 and typed, and the stub matches the module."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import subprocess
import sys
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
