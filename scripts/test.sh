#!/usr/bin/env bash
# `make test`: the whole suite, in the order that fails fastest. Installs missing tools
# first. Writes only to ignored folders (target/, dist/, end2end/test-results/). Postgres tests use TEST_POSTGRES_URL (default postgres://root@127.0.0.1:5432/postgres)
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
step "clippy, server build (ssr)" cargo clippy -p app -p engine -p wire -p server -p openrouter-sim --all-targets -- -D warnings
step "clippy, live server build (no demo feature)" cargo clippy -p server --no-default-features -- -D warnings
step "clippy, browser build (wasm32, hydrate)" cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings
step "workshop files" cargo run --quiet -p server -- check workshops demo/workshops
step "unit, repository (SQLite + Postgres), simulator and HTTP tests" \
  cargo nextest run -p app -p engine -p wire -p server -p openrouter-sim
step "doc examples compile" cargo test --doc -p openrouter-sim
step "make dist (the live server without demo mode; the site; the demo server beside it)" scripts/dist.sh
step "the simulator as its own program (OpenRouter of the deployment test)" \
  cargo build --release -p openrouter-sim --bin openrouter-sim
step "browser tests (Chromium)" node end2end/run.mjs
step "deployment test (dist/ live on Postgres behind Caddy's TLS, Chromium)" node end2end/deploy.mjs
