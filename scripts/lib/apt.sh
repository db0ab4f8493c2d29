# shellcheck shell=bash
# Debian packages for the scripts that need them (Chromium, PostgreSQL, qemu, python3-venv).
#
#   source scripts/lib/apt.sh
#   apt_install chromium chromium-driver

# Refreshes the package lists and installs the packages without their recommendations: as
# root directly, otherwise through sudo.
apt_install() {
    local as_root=()
    [[ "$(id -u)" == 0 ]] || as_root=(sudo)
    printf '\n==> %s\n' "apt-get install $*" >&2
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
        "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}
