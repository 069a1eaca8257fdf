#!/usr/bin/env bash
# Installs what the build and the tests need on a fresh Debian machine with rustup/cargo,
# and skips every tool already present at the right version. Safe to run repeatedly.
# Recipes and their pitfalls: see README "Toolchain".
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.11
BINARYEN_VERSION=132
TOOLS_DIR="${WKM_TOOLS_DIR:-$HOME/.cache/workshop-key-minter-tools}"
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
log() { printf '\033[1;34m[tools]\033[0m %s\n' "$*"; }

# The wasm-bindgen CLI must match the crate in Cargo.lock exactly.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

ensure_wasm_target() {
  if rustup target list --installed | grep -qx wasm32-unknown-unknown; then return; fi
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
}

ensure_cargo_leptos() {
  if command -v cargo-leptos >/dev/null && cargo-leptos --version 2>/dev/null | grep -q " $CARGO_LEPTOS_VERSION"; then return; fi
  log "building cargo-leptos $CARGO_LEPTOS_VERSION with no_downloads (about 16 minutes on 2 cores)"
  # `cargo install --locked` fails on rustc 1.95: the crate's lockfile pins
  # cargo-util-schemas 0.14.2, which needs rustc 1.96. Build from the unpacked
  # source with that one dependency stepped back instead.
  local work; work=$(mktemp -d)
  cargo info "cargo-leptos@$CARGO_LEPTOS_VERSION" >/dev/null 2>&1 || true
  local crate; crate=$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/cache/*/cargo-leptos-$CARGO_LEPTOS_VERSION.crate | head -n1)
  tar -xzf "$crate" -C "$work"
  ( cd "$work/cargo-leptos-$CARGO_LEPTOS_VERSION" \
    && cargo update -p cargo-util-schemas --precise 0.14.1 \
    && cargo install --path . --locked --features no_downloads )
  rm -rf "$work"
}

ensure_wasm_bindgen() {
  local want; want=$(wasm_bindgen_version)
  if command -v wasm-bindgen >/dev/null && wasm-bindgen --version | grep -q " $want\$"; then return; fi
  log "installing wasm-bindgen-cli $want (must equal Cargo.lock)"
  # Not --locked: the CLI's own lockfile does not build on this toolchain.
  cargo install wasm-bindgen-cli --version "=$want" --force
}

ensure_wasm_opt() {
  # Debian's binaryen (wasm-opt 108) silently breaks hydration in release builds;
  # npm's binaryen >= 116 does not.
  if [ -x "$CARGO_BIN/wasm-opt" ] && "$CARGO_BIN/wasm-opt" --version 2>/dev/null | grep -q "version $BINARYEN_VERSION"; then return; fi
  log "installing wasm-opt (binaryen $BINARYEN_VERSION from npm)"
  mkdir -p "$TOOLS_DIR/binaryen"
  npm install --prefix "$TOOLS_DIR/binaryen" --no-audit --no-fund "binaryen@$BINARYEN_VERSION" >/dev/null
  mkdir -p "$CARGO_BIN"
  ln -sf "$TOOLS_DIR/binaryen/node_modules/.bin/wasm-opt" "$CARGO_BIN/wasm-opt"
}

ensure_nextest() {
  # Runs every Rust test in a process of its own with a time limit (.config/nextest.toml).
  if command -v cargo-nextest >/dev/null; then return; fi
  log "building cargo-nextest (a few minutes on 2 cores)"
  cargo install cargo-nextest --locked
}

# Debian packages the tests need: Chromium for the browser tests; for the deployment
# test, caddy (TLS on loopback with its own local CA) and certutil (libnss3-tools: makes
# Chromium trust that CA, the way a machine with it installed would).
ensure_debian_packages() {
  local missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v caddy >/dev/null || missing+=(caddy)
  command -v certutil >/dev/null || missing+=(libnss3-tools)
  if [ ${#missing[@]} -eq 0 ]; then return; fi
  log "installing Debian's ${missing[*]}"
  local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_end2end_deps() {
  if [ -d end2end/node_modules/playwright-core ] && [ end2end/node_modules/.package-lock.json -nt end2end/package-lock.json ]; then return; fi
  log "installing end2end npm packages (playwright-core only; browsers come from Debian)"
  ( cd end2end && npm ci --no-audit --no-fund >/dev/null )
}

what="${1:-all}"
ensure_wasm_target
ensure_wasm_opt
ensure_wasm_bindgen
ensure_cargo_leptos
if [ "$what" = all ]; then
  ensure_nextest
  ensure_debian_packages
  ensure_end2end_deps
fi
log "toolchain ready"
