//! `CancelFunc`: the handle that ends a context, and ends it when dropped.

use std::fmt;
use std::sync::Arc;

use crate::tree::{self, NodeRef, CANCELED};

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
/// use context_core::{Context, Error};
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
    pub fn cancel(&self) {
        tree::resume(self.node.cancel(CANCELED, None, true).run());
    }

    /// Cancels the context with [`Error::Canceled`](crate::Error::Canceled)
    /// and `cause` as its [`cause()`](crate::Context::cause) (Go's
    /// `WithCancelCause`). If the context is already done, the cause is
    /// dropped: the first one wins.
    ///
    /// ```
    /// use std::io;
    /// let (ctx, cancel) = context_core::Context::background().with_cancel();
    /// cancel.cancel_with_cause(io::Error::new(io::ErrorKind::BrokenPipe, "client went away"));
    /// assert_eq!(ctx.err(), Some(context_core::Error::Canceled));
    /// assert_eq!(ctx.cause().unwrap().to_string(), "client went away");
    /// ```
    pub fn cancel_with_cause(&self, cause: impl std::error::Error + Send + Sync + 'static) {
        if self.node.is_marked() {
            return;
        }
        tree::resume(
            self.node
                .cancel(CANCELED, Some(Arc::new(cause)), true)
                .run(),
        );
    }
}

impl CancelFunc {
    /// A second handle on the same context: either one cancels it, when
    /// called or dropped. For watchers (signals) that cancel on their own.
    #[cfg_attr(not(feature = "signal"), allow(dead_code))]
    pub(crate) fn duplicate(&self) -> CancelFunc {
        CancelFunc {
            node: NodeRef::clone(&self.node),
        }
    }

    /// `cancel_with_cause` with a cause that is already shared (`Group`).
    #[cfg(not(loom))]
    pub(crate) fn cancel_with_shared_cause(&self, cause: crate::Cause) {
        if self.node.is_marked() {
            return;
        }
        tree::resume(self.node.cancel(CANCELED, Some(cause), true).run());
    }
}

impl Drop for CancelFunc {
    fn drop(&mut self) {
        self.cancel();
    }
}

impl fmt::Debug for CancelFunc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelFunc")
            .field("done", &self.node.is_done())
            .finish()
    }
}
