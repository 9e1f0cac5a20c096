//! `context`: Go's `context` model for async Rust.
//!
//! This is the facade: depend on it alone and write
//! `use context::Context;`. See [`Context`] for the tree and the Go → Rust
//! table in the crate docs of `context_core`.
#![forbid(unsafe_code)]

#[doc(inline)]
pub use context_core::*;

#[doc(inline)]
pub use context_macros::ctx_aware;
