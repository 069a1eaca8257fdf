//! What crosses the wire between the server and the browser: the types server functions
//! take and return ([`model`]), the one error the browser sees ([`error`]), and the one
//! safe-local-path check every redirect goes through ([`local_path`]). Compiled both
//! for the server and for wasm, so it stays small and has no server dependencies;
//! `server-fn` adds what Leptos's server functions need of [`error::AppError`].

pub mod error;
pub mod local_path;
pub mod model;
