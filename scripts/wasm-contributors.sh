#!/usr/bin/env bash
# Where the browser bundle's bytes go, by crate: builds the frontend's wasm with the
# release profile but with its function names kept (in target/wasm-names, so the real
# build is untouched), lists every function and data segment with `twiggy`, and sums
# them per crate. The module is the whole bundle before wasm-bindgen, wasm-opt and the
# split into lazy chunks, so it shows what each dependency costs, not what one page
# downloads (`make weigh` measures that).
# Usage: scripts/wasm-contributors.sh [rows]   (default 25)
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-25}"
scripts/install-tools.sh build
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
command -v twiggy >/dev/null || cargo install twiggy --version 0.8.0 --locked
(
  # shellcheck source=scripts/leptos-env.sh
  . scripts/leptos-env.sh
  CARGO_PROFILE_WASM_RELEASE_STRIP=none CARGO_TARGET_DIR=target/wasm-names \
    cargo build --quiet -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release
)
wasm=target/wasm-names/wasm32-unknown-unknown/wasm-release/frontend.wasm
twiggy top -n 1000000 -f csv "$wasm" >target/wasm-names/items.csv
node - "$rows" "$wasm" <<'EOF'
const fs = require('node:fs');
const [rows, wasm] = [Number(process.argv.at(-2)), process.argv.at(-1)];
const lines = fs.readFileSync('target/wasm-names/items.csv', 'utf8').trim().split('\n').slice(1);
const byCrate = new Map();
let total = 0;
for (const line of lines) {
  // Name,ShallowSize,ShallowSizePercent,RetainedSize,RetainedSizePercent; names may hold commas.
  const fields = line.split(',');
  const bytes = Number(fields[fields.length - 4]);
  const name = fields.slice(0, fields.length - 4).join(',').replace(/^"|"$/g, '');
  // Names and debug info are not shipped: the release build strips them.
  if (name.startsWith('custom section') || name.includes('function names')) continue;
  // Export entries (wasm-bindgen's describe hooks, the split markers) go at bindgen time.
  if (name.startsWith('export ') || name.startsWith('export section')) continue;
  let crate;
  if (name.startsWith('data segment')) crate = 'data (strings, tables)';
  else {
    // `<T as tachys::…>::f`, `<(A, B) as …>` (generic types) → the trait's crate; `<tachys::view::…>::f`,
    // `core::fmt::…` → the first path segment.
    const traitOfGeneric = name.match(/^<(?:&(?:mut )?)?(?:[A-Z][A-Za-z0-9_]*|\([^)]*\)) as ([a-z_][a-z0-9_]*)/)?.[1];
    const path = name.replace(/^[<&*( ]+/, '').replace(/^(mut|dyn|impl) /, '');
    crate = traitOfGeneric ?? path.match(/^[A-Za-z_][A-Za-z0-9_]*/)?.[0] ?? 'other';
  }
  byCrate.set(crate, (byCrate.get(crate) ?? 0) + bytes);
  total += bytes;
}
console.log(`${total} B of code and data in ${lines.length} items of ${wasm}, by crate:`);
for (const [crate, bytes] of [...byCrate].sort((a, b) => b[1] - a[1]).slice(0, rows)) {
  console.log(`${String(bytes).padStart(9)} B ${(100 * bytes / total).toFixed(1).padStart(5)} %  ${crate}`);
}
EOF
