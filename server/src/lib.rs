//! The axum host of Workshop Key Minter: configuration, database, Leptos routes, static
//! files, compression, tracing. Kept as a library so integration tests start the real
//! server on port 0.

pub mod application;
pub mod auth;
pub mod background;
pub mod check;
pub mod config;
#[cfg(feature = "demo")]
pub mod demo_clock;
pub mod drain;
pub mod exports;
pub mod key_file;
pub mod key_ring;
pub mod metrics;
pub mod middleware;
pub mod migrate;
pub mod openrouter_setup;
pub mod probes;
pub mod site_state;
pub mod telemetry;
