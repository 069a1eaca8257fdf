# Sourced by the scripts that build the server with plain `cargo build` (make dist, make
# bench): the compile-time environment cargo-leptos 0.3 gives its own server build.
# Leptos reads some of it while compiling (LEPTOS_OUTPUT_NAME); a difference would make
# cargo rebuild Leptos and everything above it, twice over, whenever the two builds
# alternate. Values as in [[workspace.metadata.leptos]] (Cargo.toml).
export LEPTOS_OUTPUT_NAME=workshop-key-minter
export LEPTOS_SITE_ROOT=target/site
export LEPTOS_SITE_PKG_DIR=pkg
export LEPTOS_SITE_ADDR=127.0.0.1:3000
export LEPTOS_RELOAD_PORT=3001
export LEPTOS_LIB_DIR=frontend
export LEPTOS_BIN_DIR=server
export LEPTOS_JS_MINIFY=true
export LEPTOS_HASH_FILES=true
export LEPTOS_HASH_FILE_NAME=hash.txt
