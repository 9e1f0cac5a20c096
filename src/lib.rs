//! `context`: Go's `context` model for async Rust.
//!
//! A [`Context`] carries a cancellation signal, a deadline and typed values
//! from a request's entry point to every task and call working on it: when
//! the client hangs up, the deadline passes or the process shuts down, one
//! cancel reaches them all. [`#[ctx_aware]`](ctx_aware) makes an `async fn`
//! take the context and stop at its first `.await` after it ends. Depend on
//! this crate alone; it re-exports the tree of `context_core` and the
//! attribute of `context_macros`.
//!
//! # Go → Rust
//!
//! | Go | Rust |
//! |---|---|
//! | `context.Background()` / `TODO()` | [`Context::background()`] / [`Context::todo()`] |
//! | `ctx, cancel := context.WithCancel(parent)` | `let (ctx, cancel) = parent.with_cancel();` |
//! | `defer cancel()` | nothing: dropping the [`CancelFunc`] cancels (C5) |
//! | `WithCancelCause` + `cancel(err)` | `with_cancel()` + [`cancel.cancel_with_cause(err)`](CancelFunc::cancel_with_cause) |
//! | `WithDeadline` / `WithTimeout` (`…Cause`) | [`with_deadline`](Context::with_deadline) / [`with_timeout`](Context::with_timeout) (`…_cause`) |
//! | `WithValue(ctx, key, v)` / `ctx.Value(key)` | [`ctx.with_value(v)`](Context::with_value) / [`ctx.value::<T>()`](Context::value) (keyed by type) |
//! | `WithoutCancel(ctx)` | [`ctx.without_cancel()`](Context::without_cancel) |
//! | `stop := AfterFunc(ctx, f)` / `stop()` | [`ctx.after_func(f)`](Context::after_func) / [`AfterFunc::stop`] |
//! | `ctx.Deadline()` / `time.Until(d)` | [`ctx.deadline()`](Context::deadline) / [`ctx.remaining()`](Context::remaining) |
//! | `<-ctx.Done()` | [`ctx.done().await`](Context::done); [`ctx.done_owned()`](Context::done_owned) for a `'static` one |
//! | `select { case <-ctx.Done(): default: }` | [`ctx.is_done()`](Context::is_done) |
//! | `ctx.Err()` / `context.Cause(ctx)` | [`ctx.err()`](Context::err) / [`ctx.cause()`](Context::cause) |
//! | `context.Canceled` / `DeadlineExceeded` | [`Error::Canceled`] / [`Error::DeadlineExceeded`] |
//! | `select { case <-ctx.Done(): case v := <-work: }` | [`ctx.run(work).await`](Context::run) |
//! | `func f(ctx context.Context, ..)`, checking `ctx.Done()` | [`#[ctx_aware]`](ctx_aware) `async fn f(..)` |
//! | `errgroup.WithContext` | [`Group`] |
//! | `signal.NotifyContext` | `signal::notify_context` (feature `signal`) |
//! | `r.Context()` in an HTTP handler | `http::ContextLayer` (features `http`, `axum`) |
//! | a gRPC handler's `ctx`, `client.Call(ctx, ..)` | `tonic::RequestContext`, `tonic::request` (feature `tonic`) |
//! | `http.NewRequestWithContext` | `reqwest::RequestBuilderExt` (feature `reqwest`) |
//! | a cause with a stack trace, hand-rolled | `ctx.why()`: the lines that made and ended it (feature `inspect`) |
//! | `/debug/pprof/goroutine`, for contexts | `inspect::snapshot()`, `inspect::LiveContexts` (feature `inspect`) |
//!
//! The numbered rules (C1-C16 for the tree, M1-M11 for the attribute) are
//! in `RULES.md` at the root of the repository; the tests are named after
//! them.
//!
//! # A first example
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

/// Makes an `async fn` take `ctx: &Context` and stop at the first `.await`
/// after its context ends.
///
/// # What it does
///
/// On an `async fn` it inserts `ctx: &Context` as the first parameter
/// (after `self`), unless the first parameter is already the context (M1),
/// and turns every `.await` written in the body into a race with the
/// context (M3): when the context ends first, the pending future is
/// dropped and the fn returns at once with
///
/// - `()` for a fn returning `()`,
/// - `None` for `Option<_>`,
/// - `Err(E::from(error))` for `Result<_, E>` where `E: From<context::Error>`
///   (any alias, `io::Result`, `Result<impl Trait, E>`).
///
/// Any other return type is one compile error at the return type.
///
/// ```
/// use context::{ctx_aware, Context};
///
/// #[ctx_aware]
/// async fn wait_for_ever() -> Option<u32> {
///     std::future::pending::<()>().await; // raced: returns None when ctx ends
///     Some(1)
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let (ctx, cancel) = Context::background().with_cancel();
/// cancel.cancel();
/// assert_eq!(wait_for_ever(&ctx).await, None);
/// # }
/// ```
///
/// It also goes on an `impl` block, a `trait` or an inline `mod` (each
/// `async fn` inside; test fns and hand-written sync fns are left alone,
/// M5), and on a `struct` or `enum`, where a field that stores our
/// `Context` is a compile error (M6). Inside an annotated fn,
/// `Context::background()` is a warning (M7) and a `CancelFunc` dropped at
/// once (`let (c, _) = ..`, `.0`) an error (M10).
///
/// # Macros in the body
///
/// `tokio::select!` and `futures::select!`/`select_biased!` get the
/// context's end as one more branch (first; `else` still runs when every
/// other branch is disabled); `join!`/`try_join!` are raced whole; the
/// awaits in the arguments of `assert!`, `format!`, `println!`, `write!`,
/// `vec!` and the like are raced like any other:
///
/// ```
/// use context::{ctx_aware, Context};
///
/// #[ctx_aware]
/// async fn first_of(rx: &mut tokio::sync::mpsc::Receiver<u32>) -> Option<u32> {
///     tokio::select! {
///         Some(v) = rx.recv() => Some(v),
///         _ = tokio::time::sleep(std::time::Duration::from_secs(3600)) => None,
///     } // returns None at once when ctx ends, not after an hour
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let (ctx, cancel) = Context::background().with_cancel();
/// let (_tx, mut rx) = tokio::sync::mpsc::channel(1);
/// cancel.cancel();
/// assert_eq!(first_of(&ctx, &mut rx).await, None);
/// # }
/// ```
///
/// Any other macro whose tokens hold an `.await` (and a `select!` written
/// without its crate's path) gets a compiler warning saying it is not
/// raced: race it with `ctx.run(..)`, or put `#[shield]` on it.
///
/// # What it leaves alone
///
/// Awaits inside closures, `async` blocks and nested items, and
/// `ctx.done().await`. `#[shield]` on a statement or expression keeps its
/// awaits un-raced, for cleanup that must finish (M4); see the example on
/// the crate's front page.
///
/// # With other attributes
///
/// Put it above `#[async_trait]` and `#[tracing::instrument]` (M11); the
/// error says so when it is below one. Not on `main` or a test, which take
/// no arguments. `#[ctx_aware(crate = path::to::context)]` names this
/// crate for code that re-exports it under another path.
#[doc(inline)]
pub use context_macros::ctx_aware;
