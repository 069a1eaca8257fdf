//! The server's integration tests, in one binary: linking a dozen test binaries was a
//! large part of CI's time on two cores. Each module is one area; `support` holds what
//! they share (a fresh database per test, the real server on port 0, a cookie-keeping
//! browser, protocol peers for Google and GitHub, the mint on its own simulator).

#[macro_use]
mod support;

mod admin;
mod claims_http;
mod crash;
mod database;
mod documentation;
mod github_sign_in;
mod google_sign_in;
mod guardrail;
mod http;
mod leases;
mod leptos_toml;
mod live_mode;
mod mint;
mod openrouter_client;
mod operations;
mod outage;
mod pool;
mod sealing;
mod security;
mod sessions;
mod startup;
mod top_up;
mod usage_sync;
