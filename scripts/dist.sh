#!/usr/bin/env bash
# `make dist`: the deployable artefact, in dist/:
#   server        the server built WITHOUT the `demo` feature: no simulator, no demo
#                 sign-in, no demo clock (checked below, and by end2end/deploy.mjs)
#   hash.txt      the hashed names of the site's files (read next to the binary)
#   site/         the compiled site: wasm, JS and CSS with hashed names, each with its
#                 brotli (.br) and gzip (.gz) form made now, at build time
#   Leptos.toml   the site's runtime settings (site/, hashed names, listen address)
#   workshops/    the organisation's workshop files and the template (no demo samples)
#   deploy/       a systemd unit, a Caddyfile and env.example (every variable)
# Then: copy dist/ to the host and start `./server` inside it with the deployment's
# variables (README, "Deploying for a real workshop").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-tools.sh build
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
target_dir="${CARGO_TARGET_DIR:-target}"

step() { printf '\033[1;34m[dist]\033[0m %s\n' "$*"; }

step "the server without demo mode"
# Built first and copied aside: the demo build below takes its place in target/release,
# where `make run`, the browser tests and the benchmark expect it. (In a subshell: the
# LEPTOS_* build variables must not reach cargo-leptos, which sets its own.)
(
  # shellcheck source=scripts/leptos-env.sh
  . scripts/leptos-env.sh
  cargo build --release --package server --bin server --no-default-features
)
mkdir -p "$target_dir/dist"
cp "$target_dir/release/server" "$target_dir/dist/server"

step "the site (wasm, JS, CSS), hashed and precompressed, and the demo server"
cargo leptos build --release --split --precompress

step "assembling dist/"
rm -rf dist
mkdir -p dist
cp "$target_dir/dist/server" dist/server
cp "$target_dir/release/hash.txt" dist/hash.txt
cp -r "$target_dir/site" dist/site
cp Leptos.toml dist/Leptos.toml
mkdir -p dist/workshops
cp workshops/* dist/workshops/
cp -r deploy dist/deploy

for demo_only in sk-or-v1-demo-simulator /_simulator/ /_demo/clock; do
  if grep -q --fixed-strings -- "$demo_only" dist/server; then
    echo "dist: dist/server contains \`$demo_only\`: the demo leaked into the live build" >&2
    exit 1
  fi
done
workshops=$(cd dist/workshops && ls -- *.yaml *.yml 2>/dev/null | tr '\n' ' ' || true)
step "workshops: ${workshops:-none yet (add files to workshops/, start from workshops/example.yaml.template)}"
step "done: $(du -sh dist | cut -f1) in dist/ — server $(du -h dist/server | cut -f1), site $(du -sh dist/site | cut -f1)"
