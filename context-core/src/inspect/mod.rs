//! Why did it stop, and what is still alive (feature `inspect`).
//!
//! - [`Context::why`](crate::Context::why): for a context that is done, the
//!   chain up to the context that ended by itself, with the source lines
//!   that made it and that cancelled it (`#[track_caller]` on the
//!   constructors and on `CancelFunc`'s methods), how long ago its deadline
//!   passed, and the cause. [`err()`](crate::Context::err) and
//!   [`cause()`](crate::Context::cause) are unchanged.
//! - [`snapshot`]: every live cancelable context of the process as a tree:
//!   where it was made, its age, its deadline, what waits on it. With the
//!   `http` feature, [`LiveContexts`] serves it, for a service's
//!   `/debug/contexts` (Go's `/debug/pprof/goroutine`, for contexts).
//! - With the `tracing` feature (which turns this one on): a DEBUG event,
//!   target `context`, when a context ends by itself, and `ContextLayer`
//!   records how each request's context ended on the request's span.
//!
//! The feature costs each cancelable context 48 bytes, a clock read at
//! birth and a short lock when a root (a context made from `background()`)
//! is made and cancelled; without it none of this is compiled
//! (`context-core/benches/README.md` has the figures).
//!
//! ```
//! use context::Context;
//!
//! let (ctx, _cancel) = Context::background().with_cancel();
//! let (child, cancel) = ctx.with_cancel();
//! drop(cancel);
//! let why = child.why().unwrap();
//! assert_eq!(why.origin().site.line(), line!() - 3);
//! assert!(why.to_string().contains("its CancelFunc was dropped"));
//! ```

pub(crate) mod live;
#[cfg(feature = "http")]
mod serve;
#[cfg(feature = "tracing")]
pub(crate) mod trace;
mod why;

pub use live::{snapshot, Entry, Snapshot};
#[cfg(feature = "http")]
pub use serve::LiveContexts;
pub use why::{Link, Reason, Why};
