//! Server-only code: never compiled into the browser bundle. It owns the workshop
//! registry, the database and the application state that server functions read.

pub mod admin;
pub mod auth;
pub mod claims;
pub mod clock;
pub mod db;
pub mod email;
pub mod guardrail;
pub mod lease_heartbeat;
pub mod metrics;
pub mod mint;
pub mod openrouter;
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
