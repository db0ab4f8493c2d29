# Helpers for the Python distributions of thumbing, sourced by scripts/test-python.sh and
# scripts/build-wheels.sh.

# Exports CARGO_TARGET_DIR as an absolute path (default <repo>/target), for cargo and maturin
# alike; needs $repo.
export_target_dir() {
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"
    case "$CARGO_TARGET_DIR" in /*) ;; *) CARGO_TARGET_DIR="$repo/$CARGO_TARGET_DIR" ;; esac
}

# PATH without any directory that holds cargo or rustc: what a user without Rust has.
path_without_rust() {
    local dir kept=()
    local IFS=:
    for dir in $PATH; do
        [[ -z "$dir" || -x "$dir/cargo" || -x "$dir/rustc" ]] && continue
        kept+=("$dir")
    done
    echo "${kept[*]}"
}

# test_wheel WHEEL VENV [PYTEST ARGS...]: installs WHEEL into a fresh virtualenv VENV, as a
# user would, with no Rust on PATH and nothing built from source, then runs the Python test
# suite (bindings-python/tests and examples/python-flask) against it. Needs $repo; uses
# $PYTHON (default python3) for the venv.
test_wheel() {
    local wheel="$1" venv="$2"
    shift 2
    local python="${PYTHON:-python3}" clean_path
    clean_path="$(path_without_rust)"
    rm -rf "$venv"
    "$python" -m venv "$venv" || {
        echo "error: '$python -m venv' failed; on Debian install python3-venv, or set PYTHON" >&2
        return 1
    }
    local vpy="$venv/bin/python"
    # The test tools, then the wheel alone: --no-index, so nothing can be built from source.
    grep -v '^maturin==' "$repo/bindings-python/requirements-test.txt" >"$venv/requirements.txt"
    env PATH="$clean_path" "$vpy" -m pip install --quiet --disable-pip-version-check -r "$venv/requirements.txt"
    env PATH="$clean_path" "$vpy" -m pip install --quiet --disable-pip-version-check --no-index --no-deps "$wheel"
    if env PATH="$venv/bin:$clean_path" sh -c 'command -v cargo || command -v rustc' >/dev/null; then
        echo "error: Rust is still on PATH for the wheel test" >&2
        return 1
    fi
    # From bindings-python/ (its pyproject.toml has the pytest settings), where `import
    # thumbing` is the installed wheel: the source package is under python/.
    (
        cd "$repo/bindings-python"
        env PATH="$venv/bin:$clean_path" THUMBING_WHEEL_TEST=1 \
            "$vpy" -m pytest -p no:cacheprovider --timeout=900 -rs \
            "$repo/bindings-python/tests" "$repo/examples/python-flask" "$@"
    )
}
