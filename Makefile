# The two commands a newcomer needs (see README). Both install what is missing first.
.PHONY: run test bench weigh tools check dist screenshots

run:   ## Build and serve the app in demo mode on http://127.0.0.1:3000 (SQLite, no secrets)
	@scripts/run.sh

test:  ## Everything CI runs: format, clippy (server and wasm), unit/DB/HTTP tests, make dist, browser tests, the deployment test
	@scripts/test.sh

bench: ## Claim and admin benchmark against the release server in demo mode (BENCH_ARGS="--attendees 500 --latency-ms 150"), then `weigh`
	@scripts/bench.sh $(BENCH_ARGS)
	@scripts/weigh.sh

weigh: ## What /w/<slug> weighs on a cold load (budget 200 KB), hydration on 1.6 Mbps/150 ms wifi (median of 3) and click-to-key time, in Chromium
	@scripts/weigh.sh

dist:  ## The deployable artefact in dist/: the live server (no demo), the precompressed site, workshops/, deploy/ (README, "Deploying")
	@scripts/dist.sh

screenshots: ## Refresh the committed screenshots in end2end/screenshots/ (tests alone never write there)
	@scripts/screenshots.sh

tools: ## Only install the toolchain (wasm target, cargo-leptos, wasm-bindgen, wasm-opt, nextest, chromium, caddy)
	@scripts/install-tools.sh all

check: ## Validate the workshop files (yours in workshops/, the template, the demo's samples) the way the server does at start-up
	@cargo run --quiet -p server -- check workshops demo/workshops
