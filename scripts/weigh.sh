#!/usr/bin/env bash
# `make weigh`: builds the release site, then loads the claim page cold in Chromium and
# prints every file's transferred bytes against the 200 KB budget (and the admin page's,
# which must be split off), the hydration time on throttled wifi (median of 3) and the
# click-to-key time. Exits 1 over budget.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-tools.sh all
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
cargo leptos build --release --split --precompress
exec node end2end/weigh.mjs "$@"
