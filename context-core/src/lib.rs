//! The context tree: Go's `context` package for async Rust.
//!
//! A [`Context`] carries a cancellation signal, a deadline and typed values
//! from a request's entry point down to every task and call working on it.
//! When the client hangs up, the deadline passes or the process shuts down,
//! one cancel reaches them all.
//!
//! | Go | Rust |
//! |---|---|
//! | `context.Background()` / `TODO()` | [`Context::background()`] / [`Context::todo()`] |
//! | `ctx, cancel := WithCancel(parent)` | `let (ctx, cancel) = parent.with_cancel();` |
//! | `defer cancel()` | nothing: dropping the [`CancelFunc`] cancels |
//! | `WithCancelCause` + `cancel(err)` | `with_cancel()` + [`cancel.cancel_with_cause(err)`](CancelFunc::cancel_with_cause) |
//! | `WithDeadline` / `WithTimeout` (`…Cause`) | [`with_deadline`](Context::with_deadline) / [`with_timeout`](Context::with_timeout) (`…_cause`) |
//! | `WithValue(ctx, key, v)` / `ctx.Value(key)` | [`ctx.with_value(v)`](Context::with_value) / [`ctx.value::<T>()`](Context::value) |
//! | `WithoutCancel` | [`without_cancel`](Context::without_cancel) |
//! | `AfterFunc(ctx, f)` / `stop()` | [`ctx.after_func(f)`](Context::after_func) / [`AfterFunc::stop`] |
//! | `<-ctx.Done()` | [`ctx.done().await`](Context::done) |
//! | `ctx.Err()` / `context.Cause(ctx)` | [`ctx.err()`](Context::err) / [`ctx.cause()`](Context::cause) |
//! | `select { case <-ctx.Done(): case v := <-work: }` | [`ctx.run(work).await`](Context::run) |
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use std::time::Duration;
//! use context::{Context, Error};
//!
//! async fn slow_query() -> u32 {
//!     tokio::time::sleep(Duration::from_secs(60)).await;
//!     42
//! }
//!
//! let (ctx, _cancel) = Context::background().with_timeout(Duration::from_millis(10));
//! assert_eq!(ctx.run(slow_query()).await, Err(Error::DeadlineExceeded));
//! # }
//! ```
//!
//! # Choices where Go and Rust differ
//!
//! - Dropping a `CancelFunc` cancels (Go's `go vet` "lostcancel" made
//!   impossible). Dropping a `Context` does not.
//! - Values are keyed by type, not by an `any` key.
//! - Deadlines are `std::time::Instant`s and fire on one shared timer thread,
//!   so they work without a runtime; a context made on a tokio runtime whose
//!   clock is paused (a `start_paused` test) follows tokio's clock instead.
//! - After-funcs run on the cancelling thread once the tree's locks are
//!   released, not on a new goroutine; a deadline's run on shared callback
//!   threads, so that one that blocks delays no other deadline.
#![forbid(unsafe_code)]

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;
mod after_func;
#[cfg(all(feature = "axum", not(loom)))]
mod axum;
mod cancel;
mod context;
mod error;
#[cfg(not(loom))]
mod group;
#[cfg(all(feature = "http", not(loom)))]
pub mod http;
#[cfg(all(feature = "inspect", not(loom)))]
pub mod inspect;
#[cfg(all(feature = "reqwest", not(loom)))]
pub mod reqwest;
mod run;
#[cfg(all(feature = "signal", not(loom)))]
pub mod signal;
mod slab;
mod sync;
#[cfg(all(feature = "tonic", not(loom)))]
pub mod tonic;
mod tree;

pub use after_func::AfterFunc;
#[cfg(all(feature = "axum", not(loom)))]
pub use axum::MissingContextLayer;
pub use cancel::CancelFunc;
pub use context::Context;
pub use error::{Cause, Error};
#[cfg(not(loom))]
pub use group::{Group, TaskPanicked};
pub use run::{OwnedRun, Run};
#[cfg(loom)]
pub use tree::deadline::__loom_set_clock_skew;
pub use tree::done::{Done, OwnedDone};
#[doc(hidden)]
pub use tree::NodeStats;
/// Bytes the `inspect` feature adds to each cancelable context (0 without
/// it), for the memory tests' budgets. Not part of the API.
#[doc(hidden)]
pub const __INSPECT_BYTES: usize = tree::INFO_BYTES;
