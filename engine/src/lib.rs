//! The back end of Workshop Key Minter, without Leptos: the workshop registry, the
//! database, the OpenRouter client, the mint and its warm pool, guardrails, usage sync
//! and sessions. `app`'s server functions are thin shims over it and `server` hosts it;
//! nothing here is compiled into the browser bundle. What it shares with the browser
//! (the wire types and the one error the browser sees) is the `wire` crate.

pub mod access;
pub mod admin;
pub mod claims;
pub mod clock;
pub mod db;
pub mod detached;
pub mod email;
pub mod guardrail;
pub mod key_pool;
pub mod leases;
pub mod metrics;
pub mod mint;
pub mod openrouter;
pub mod orphans;
pub mod projector;
pub mod registry;
pub mod sealing;
pub mod secret;
pub mod session;
pub mod state;
pub mod telemetry;
pub mod time_format;
pub mod top_up;
pub mod usage_sync;
