//! `context`: Go's `context` model for async Rust.
//!
//! Depend on this crate alone: it re-exports the context tree of
//! `context_core` (see [`Context`], and the Go → Rust table there) and the
//! [`ctx_aware`] attribute.
//!
//! ```
//! use context::{ctx_aware, Context, Error};
//!
//! #[derive(Debug)]
//! enum AppError { Gone(Error) }
//! impl From<Error> for AppError {
//!     fn from(e: Error) -> Self { AppError::Gone(e) }
//! }
//!
//! #[ctx_aware]
//! async fn fetch(id: u64) -> Result<u64, AppError> {
//!     tokio::task::yield_now().await; // raced against ctx
//!     Ok(id * 2)
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let (ctx, cancel) = Context::background().with_cancel();
//! assert_eq!(fetch(&ctx, 21).await.unwrap(), 42);
//! cancel.cancel();
//! assert!(matches!(fetch(&ctx, 21).await, Err(AppError::Gone(Error::Canceled))));
//! # }
//! ```
//!
//! `#[shield]` keeps a cleanup step running after a cancel:
//!
//! ```
//! # use context::{ctx_aware, Context};
//! # async fn flush(log: &mut Vec<&'static str>) { log.push("flushed") }
//! #[ctx_aware]
//! async fn save(log: &mut Vec<&'static str>) {
//!     #[shield]
//!     flush(log).await; // runs even though ctx is cancelled
//!     flush(log).await; // raced: the fn returns here
//! }
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let (ctx, cancel) = Context::background().with_cancel();
//! cancel.cancel();
//! let mut log = Vec::new();
//! save(&ctx, &mut log).await;
//! assert_eq!(log, ["flushed"]);
//! # }
//! ```
#![forbid(unsafe_code)]

#[doc(inline)]
pub use context_core::*;

#[doc(inline)]
pub use context_macros::ctx_aware;
