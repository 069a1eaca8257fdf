#!/usr/bin/env bash
# `make bench`: the claim benchmark. Builds the release server (no wasm or site needed:
# the benchmark only talks to /auth/demo, /api/claim_key and the simulator) and the
# `claim_bench` example, then runs it; arguments are passed through, e.g.
#   scripts/bench.sh --attendees 500 --latency-ms 150 --rate 20 --shapes burst,paced
# See `scripts/bench.sh --help` for every option.
set -euo pipefail
cd "$(dirname "$0")/.."
# The compile-time environment of cargo-leptos's build, so the two builds share it.
(
  # shellcheck source=scripts/leptos-env.sh
  . scripts/leptos-env.sh
  cargo build --release -p server --bin server --example claim_bench
)
target_dir="${CARGO_TARGET_DIR:-target}"
exec "$target_dir/release/examples/claim_bench" --server "$target_dir/release/server" "$@"
