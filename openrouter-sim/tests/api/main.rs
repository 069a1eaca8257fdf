//! The OpenRouter simulator over HTTP, in one test binary: each test binds a fresh
//! simulator on 127.0.0.1:0, and every body is validated against the vendored spec.

mod openapi;
mod simulator;
