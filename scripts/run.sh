#!/usr/bin/env bash
# `make run`: the app in demo mode (SQLite under ./data, simulated OpenRouter, demo
# sign-in) on http://127.0.0.1:3000. Installs missing tools first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-tools.sh build
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
# Demo mode is never implied: the server runs live unless told otherwise.
export DEMO_MODE=true
exec cargo leptos serve --release --split --precompress
