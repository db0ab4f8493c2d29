# shellcheck shell=bash
# install_sharp NODE_DIR SPEC_DIR: installs the Node peers pinned by SPEC_DIR/package.json and
# package-lock.json (sharp) into NODE_DIR, again only when the pinned versions change.
install_sharp() {
  local node_dir="$1" spec="$2" stamp
  stamp="$(cat "$spec/package.json" "$spec/package-lock.json" | sha256sum | cut -d' ' -f1)"
  if [[ "$(cat "$node_dir/.stamp" 2>/dev/null)" != "$stamp" ]]; then
    printf '==> %s\n' "installing sharp into $node_dir" >&2
    rm -rf "$node_dir"
    mkdir -p "$node_dir"
    cp "$spec/package.json" "$spec/package-lock.json" "$node_dir/"
    (cd "$node_dir" && npm ci --omit=dev --no-audit --no-fund --loglevel=error)
    echo "$stamp" >"$node_dir/.stamp"
  fi
}
