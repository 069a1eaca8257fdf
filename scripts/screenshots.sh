#!/usr/bin/env bash
# `make screenshots`: refreshes the committed screenshots in end2end/screenshots/ (the
# README and docs show them) from a run of the browser tests, then composes the README's
# picture. `make test` never writes there: its screenshots go to end2end/test-results/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-tools.sh all
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
cargo leptos build --release --split --precompress
WKM_SCREENSHOTS_DIR="$PWD/end2end/screenshots" node end2end/run.mjs
node end2end/readme-picture.mjs end2end/screenshots
