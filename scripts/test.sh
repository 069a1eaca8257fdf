#!/usr/bin/env bash
# `make test`: the whole suite, in the order that fails fastest. Installs missing tools
# first. Postgres tests use TEST_POSTGRES_URL (default postgres://root@127.0.0.1:5432/postgres)
# and create and drop their own databases there.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-tools.sh all
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

step() {
  local name=$1; shift
  printf '\n\033[1;34m==> %s\033[0m\n' "$name"
  local started=$SECONDS
  "$@"
  printf '\033[1;32m<== %s (%ss)\033[0m\n' "$name" "$((SECONDS - started))"
}

step "format" cargo fmt --all -- --check
step "clippy, server build (ssr)" cargo clippy -p app -p server -p openrouter-sim --all-targets -- -D warnings
step "clippy, browser build (wasm32, hydrate)" cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings
step "server without the simulator (--no-default-features)" cargo check -p server --no-default-features
step "workshop files" cargo run --quiet -p server -- check workshops
step "unit, repository (SQLite + Postgres), simulator and HTTP tests" \
  cargo nextest run -p app -p server -p openrouter-sim
step "doc examples compile" cargo test --doc -p openrouter-sim
step "release build (server + wasm)" cargo leptos build --release --split
step "browser tests (Chromium)" node end2end/run.mjs
