"""One source for the Python signatures and the option words, and the places that repeat them.

The keyword arguments of ``avatar()`` and ``process()`` are declared once in Rust: the pyo3
``signature`` of each function, whose defaults are the ``Default`` values of the argument
types (exported as ``_thumbing._DEFAULTS``; the Rust compiler holds the parameters to the
signature). Two places repeat them for Python's tools and are checked here against that
source: the ``text_signature`` of each function (what ``inspect.signature`` and ``help()``
show) and the stub ``__init__.pyi`` (what type checkers see). The option words come from the
Rust crate's vocabulary (``_thumbing._OPTION_WORDS``); the stub's ``Literal`` types and the
words the module accepts are checked against it.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import pytest

import thumbing
from conftest import FIXTURES
from thumbing import _thumbing

STUB = Path(thumbing.__file__).with_name("__init__.pyi")
FUNCTIONS = ["avatar", "process"]
NO_DEFAULT = object()


def stub_module() -> ast.Module:
    return ast.parse(STUB.read_text(encoding="utf-8"))


def stub_parameters(name: str) -> list[tuple[str, inspect._ParameterKind, Any]]:
    """(name, kind, default) of each parameter of the stub's function ``name``; ``...`` as default is kept as Ellipsis."""
    (function,) = [n for n in stub_module().body if isinstance(n, ast.FunctionDef) and n.name == name]
    args = function.args
    positional = args.posonlyargs + args.args
    defaults: list[Any] = [NO_DEFAULT] * (len(positional) - len(args.defaults)) + list(args.defaults)
    out = []
    for arg, default in zip(positional, defaults):
        out.append((arg.arg, inspect.Parameter.POSITIONAL_OR_KEYWORD, default))
    for arg, default in zip(args.kwonlyargs, args.kw_defaults):
        out.append((arg.arg, inspect.Parameter.KEYWORD_ONLY, NO_DEFAULT if default is None else default))
    return [(n, k, d if d is NO_DEFAULT else ast.literal_eval(d)) for n, k, d in out]


def runtime_parameters(name: str) -> list[tuple[str, inspect._ParameterKind, Any]]:
    """(name, kind, default) of each parameter as ``inspect.signature`` reads the text signature."""
    signature = inspect.signature(getattr(thumbing, name))
    return [
        (p.name, p.kind, NO_DEFAULT if p.default is inspect.Parameter.empty else p.default)
        for p in signature.parameters.values()
    ]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_text_signatures_show_the_rust_defaults(name: str) -> None:
    parameters = runtime_parameters(name)
    assert parameters[0] == ("data", inspect.Parameter.POSITIONAL_OR_KEYWORD, NO_DEFAULT)
    shown = {p: default for p, _, default in parameters[1:]}
    expected = {p: d for p, d in _thumbing._DEFAULTS.items() if p != ("sizes" if name == "avatar" else "size")}
    assert shown == expected


@pytest.mark.parametrize("name", FUNCTIONS)
def test_the_stub_declares_the_runtime_signatures(name: str) -> None:
    stub = stub_parameters(name)
    runtime = runtime_parameters(name)
    assert [(n, k) for n, k, _ in stub] == [(n, k) for n, k, _ in runtime]
    for (parameter, _, stub_default), (_, _, runtime_default) in zip(stub, runtime):
        # A stub may write `...` for a mutable default (process's `sizes`), never another value.
        assert stub_default is Ellipsis or stub_default == runtime_default, parameter


def stub_literals(alias: str) -> list[object]:
    """The values of a ``Literal[...]`` type alias of the stub (the first ``Literal`` of a union)."""
    for node in stub_module().body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == alias:
            literal = next(
                n for n in ast.walk(node.value) if isinstance(n, ast.Subscript) and ast.unparse(n.value) == "Literal"
            )
            elements = literal.slice.elts if isinstance(literal.slice, ast.Tuple) else [literal.slice]
            return [ast.literal_eval(e) for e in elements]
    raise AssertionError(f"the stub has no type alias {alias}")


STUB_ALIASES = {
    "format": "_OutputFormat",
    "fit": "_Fit",
    "crop": "_Crop",
    "filter": "_Filter",
    "png_compression": "_PngCompression",
    "fail_on": "_FailOn",
}


def test_the_stub_lists_the_core_words() -> None:
    assert set(STUB_ALIASES) == set(_thumbing._OPTION_WORDS)
    for option, words in _thumbing._OPTION_WORDS.items():
        assert stub_literals(STUB_ALIASES[option]) == list(words), option


def candidates() -> list[str]:
    """Every word of every option, in upper case too, and words other tools use."""
    words = [w for ws in _thumbing._OPTION_WORDS.values() for w in ws]
    return words + [w.upper() for w in words] + ["none", "error", "default", "best", "fill", "lanczos4", "gif"]


@pytest.mark.parametrize("option", sorted(_thumbing._OPTION_WORDS))
def test_option_words_are_exactly_the_core_vocabulary(option: str) -> None:
    data = (FIXTURES / "gray.png").read_bytes()
    words = {w.lower() for w in _thumbing._OPTION_WORDS[option]}
    for candidate in candidates():
        try:
            thumbing.process(data, sizes=[8], **{option: candidate})
            accepted = True
        except ValueError as e:
            assert f'{option} "{candidate}" is not one of' in str(e), str(e)
            accepted = False
        assert accepted == (candidate.lower() in words), f"{option}={candidate!r}"
