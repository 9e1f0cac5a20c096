//! `CancelFunc`: the handle that ends a context, and ends it when dropped.

use std::fmt;
use std::sync::Arc;

use crate::tree::{self, How, NodeRef, State};

/// Cancels the context it came with, and every context derived from it.
///
/// Go's `CancelFunc`, with Go's `defer cancel()` built in: dropping it
/// cancels (C5), so a context can never be forgotten live. Keep it in a
/// named binding for as long as the work should run; `let (ctx, _) = ...`
/// cancels at once.
///
/// After the first call, later calls do nothing: the first cancel and its
/// cause win (C4). When a call returns, every descendant reports
/// `is_done()` (C3); wakers and after-funcs run after the tree's locks are
/// released, on the cancelling thread.
///
/// ```
/// use context::{Context, Error};
///
/// let (ctx, cancel) = Context::background().with_cancel();
/// let (child, _child_cancel) = ctx.with_cancel();
/// assert!(!child.is_done());
/// cancel.cancel();
/// assert_eq!(child.err(), Some(Error::Canceled));
///
/// let (ctx, cancel) = Context::background().with_cancel();
/// drop(cancel); // same as cancel.cancel()
/// assert!(ctx.is_done());
/// ```
#[must_use = "dropping a CancelFunc cancels its context at once: bind it to a name such as `_cancel` (not `_`)"]
pub struct CancelFunc {
    node: NodeRef,
}

impl CancelFunc {
    pub(crate) fn new(node: NodeRef) -> CancelFunc {
        CancelFunc { node }
    }

    /// Cancels the context with [`Error::Canceled`](crate::Error::Canceled).
    /// Its `cause()` is that same error.
    #[cfg_attr(feature = "inspect", track_caller)]
    pub fn cancel(&self) {
        self.end(How::called());
    }

    /// Cancels, recording `how` for `why()` first (feature `inspect`).
    fn end(&self, how: How) {
        // Done already (the drop after `cancel()`, a deadline that fired,
        // a parent's cancel): a cancel would find nothing to do, and the
        // first `how` stays.
        if self.node.is_marked() {
            return;
        }
        self.node.cancelling(how);
        tree::resume(self.node.cancel(State::Canceled, None, true).run());
    }

    /// Cancels the context with [`Error::Canceled`](crate::Error::Canceled)
    /// and `cause` as its [`cause()`](crate::Context::cause) (Go's
    /// `WithCancelCause`). If the context is already done, the cause is
    /// dropped: the first one wins.
    ///
    /// ```
    /// use std::io;
    /// let (ctx, cancel) = context::Context::background().with_cancel();
    /// cancel.cancel_with_cause(io::Error::new(io::ErrorKind::BrokenPipe, "client went away"));
    /// assert_eq!(ctx.err(), Some(context::Error::Canceled));
    /// assert_eq!(ctx.cause().unwrap().to_string(), "client went away");
    /// ```
    #[cfg_attr(feature = "inspect", track_caller)]
    pub fn cancel_with_cause(&self, cause: impl std::error::Error + Send + Sync + 'static) {
        if self.node.is_marked() {
            return;
        }
        self.node.cancelling(How::called());
        tree::resume(
            self.node
                .cancel(State::Canceled, Some(Arc::new(cause)), true)
                .run(),
        );
    }
}

impl CancelFunc {
    /// [`cancel_with_cause`](CancelFunc::cancel_with_cause) with a cause
    /// that is already shared: `cause()` hands back this very `Arc`, so one
    /// error can end several contexts, or be kept elsewhere too (a
    /// [`Group`](crate::Group) keeps its first error for `wait()`), and
    /// still downcast to its type.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use context::{Cause, Context};
    ///
    /// let err: Cause = Arc::new(std::io::Error::other("disk gone"));
    /// let (a, cancel_a) = Context::background().with_cancel();
    /// let (b, cancel_b) = Context::background().with_cancel();
    /// cancel_a.cancel_with_shared_cause(err.clone());
    /// cancel_b.cancel_with_shared_cause(err.clone());
    /// assert!(Arc::ptr_eq(&a.cause().unwrap(), &b.cause().unwrap()));
    /// assert!(a.cause().unwrap().downcast_ref::<std::io::Error>().is_some());
    /// ```
    #[cfg_attr(feature = "inspect", track_caller)]
    pub fn cancel_with_shared_cause(&self, cause: crate::Cause) {
        if self.node.is_marked() {
            return;
        }
        self.node.cancelling(How::called());
        tree::resume(self.node.cancel(State::Canceled, Some(cause), true).run());
    }
}

impl CancelFunc {
    /// [`cancel_with_cause`](CancelFunc::cancel_with_cause), unless the
    /// context's deadline has already passed: then it ends as that deadline
    /// (`DeadlineExceeded`, with its deadline cause), even if nobody had
    /// noticed yet. Either way the callbacks run on this thread, as a
    /// cancel's do.
    ///
    /// For transports that learn of a hang-up: a client that resets the
    /// stream at its own deadline (as gRPC clients do) hung up because of
    /// the deadline, which should stay the reason. `ContextLayer` uses it.
    /// A plain `cancel_with_cause` after an unnoticed deadline gives
    /// `Canceled`, as in Go.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use context::{Context, Error};
    ///
    /// let due = Instant::now() + Duration::from_millis(1);
    /// let (ctx, cancel) = Context::background().with_deadline(due);
    /// while Instant::now() < due {} // passed; nobody has looked
    /// cancel.cancel_unless_expired(std::io::Error::other("hung up"));
    /// assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
    ///
    /// let (ctx, cancel) = Context::background().with_timeout(Duration::from_secs(60));
    /// cancel.cancel_unless_expired(std::io::Error::other("hung up"));
    /// assert_eq!(ctx.err(), Some(Error::Canceled));
    /// ```
    #[cfg_attr(feature = "inspect", track_caller)]
    pub fn cancel_unless_expired(&self, cause: impl std::error::Error + Send + Sync + 'static) {
        match self.node.expire_if_passed() {
            Some(fired) => {
                let mut first = None;
                for f in fired {
                    if let Some(p) = f.run() {
                        first.get_or_insert(p);
                    }
                }
                tree::resume(first);
            }
            None => self.cancel_with_cause(cause),
        }
    }
}

#[cfg(all(feature = "tracing", feature = "http"))]
impl CancelFunc {
    /// Whether its context is done (for `ContextLayer`'s span record).
    pub(crate) fn is_done(&self) -> bool {
        self.node.is_done()
    }

    /// Its context's `why()` (for `ContextLayer`'s span record).
    pub(crate) fn why(&self) -> Option<crate::inspect::Why> {
        crate::inspect::Why::read(&self.node)
    }
}

impl Drop for CancelFunc {
    fn drop(&mut self) {
        self.end(How::dropped());
    }
}

impl fmt::Debug for CancelFunc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelFunc")
            .field("done", &self.node.is_done())
            .finish()
    }
}
