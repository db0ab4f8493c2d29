# shellcheck shell=bash
# A local S3-compatible server for the test scripts: moto in server mode, at one pinned
# version, installed into lambda/.venv (git-ignored, shared by every script that sources this).
#
#   source scripts/lib/moto.sh
#   install_moto "$repo/lambda/.venv"
#   start_moto "$repo/lambda/.venv" "$log_file"    # sets moto_pid and moto_endpoint
#   ...; stop_moto                                 # in the caller's EXIT trap

MOTO_VERSION="5.2.5"

# Creates the venv if needed and installs moto[server] $MOTO_VERSION unless it is there.
install_moto() {
    local venv=$1
    printf '\n==> %s\n' "moto[server] $MOTO_VERSION in ${venv#"$PWD"/}"
    if [[ ! -x "$venv/bin/python" ]]; then
        python3 -m venv "$venv"
    fi
    if ! "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('moto') != '$MOTO_VERSION')" 2>/dev/null \
        || [[ ! -x "$venv/bin/moto_server" ]]; then
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
    fi
}

# Prints a free TCP port on 127.0.0.1.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts moto_server on a free loopback port, logging to $2, and waits until it answers.
# Sets moto_pid and moto_endpoint; returns non-zero (after printing the log) if it never does.
start_moto() {
    local venv=$1 log=$2 port
    printf '\n==> %s\n' "starting moto_server on 127.0.0.1"
    port="$(free_port)"
    "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
    moto_pid=$!
    moto_endpoint="http://127.0.0.1:$port"
    local probe="import urllib.request as u; u.urlopen('$moto_endpoint/moto-api/', timeout=1)"
    for _ in $(seq 1 150); do
        if "$venv/bin/python" -c "$probe" 2>/dev/null; then
            echo "moto_server $MOTO_VERSION listening on $moto_endpoint (pid $moto_pid)"
            return 0
        fi
        if ! kill -0 "$moto_pid" 2>/dev/null; then
            echo "moto_server exited:" >&2
            cat "$log" >&2
            return 1
        fi
        sleep 0.2
    done
    echo "moto_server did not answer on $moto_endpoint" >&2
    cat "$log" >&2
    return 1
}

# Stops the moto_server that start_moto started, if it is still running.
stop_moto() {
    if [[ -n "${moto_pid:-}" ]] && kill -0 "$moto_pid" 2>/dev/null; then
        kill "$moto_pid" 2>/dev/null || true
        wait "$moto_pid" 2>/dev/null || true
    fi
}
