//! `Context`: the handle. Constructors (the tree's edges) and accessors.

use std::any::Any;
use std::fmt;
use std::future::IntoFuture;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::after_func::AfterFunc;
use crate::cancel::CancelFunc;
use crate::error::{Cause, Error};
use crate::run::Run;
use crate::tree::deadline::Due;
use crate::tree::done::{Done, OwnedDone};
use crate::tree::value::{self, ValueNode};
use crate::tree::{Born, CancelNode, Kind, NodeRef};

/// Carries a cancellation signal, a deadline and request-scoped values
/// across API boundaries and tasks: Go's `context.Context`.
///
/// Contexts form a tree. The roots are [`background()`](Context::background)
/// and [`todo()`](Context::todo); every other context is derived from a
/// parent and is done when its parent is (C2). A context is immutable once
/// made: deriving makes a new child, never changes the parent.
///
/// `Context` is `Clone + Send + Sync + 'static`; a clone is one reference
/// count increment, and dropping a `Context` never cancels anything (C5).
/// Pass it as the first argument, `ctx: &Context`, and do not store it in
/// structs: `#[ctx_aware]` rejects both.
///
/// ```
/// use std::time::Duration;
/// use context::{Context, Error};
///
/// #[derive(Debug, PartialEq)]
/// struct RequestId(u64);
///
/// let root = Context::background();
/// let (ctx, cancel) = root.with_timeout(Duration::from_secs(5));
/// let ctx = ctx.with_value(RequestId(7));
/// assert_eq!(ctx.value::<RequestId>(), Some(&RequestId(7)));
/// assert!(ctx.deadline().is_some());
/// cancel.cancel();
/// assert_eq!(ctx.err(), Some(Error::Canceled));
/// assert_eq!(root.err(), None);
/// ```
#[derive(Clone)]
pub struct Context {
    repr: Repr,
}

#[derive(Clone)]
enum Repr {
    Background,
    Todo,
    /// `with_cancel`, `with_deadline`, `with_timeout`: the node, and the
    /// nearest value node above (kept here, not in the node: see `tree/mod.rs`).
    Cancel(NodeRef, Option<Arc<ValueNode>>),
    /// `with_value`.
    Value(Arc<ValueNode>),
    /// `without_cancel`: the parent's values, nothing else. Costs no node.
    WithoutCancel(Option<Arc<ValueNode>>),
}

impl Context {
    /// The root of every tree: never done, no deadline, no values (C1).
    /// Allocates nothing. Use it in `main`, in tests and at the top of a
    /// request's life; anywhere else, derive from the `ctx` you were given.
    ///
    /// ```
    /// let ctx = context::Context::background();
    /// assert!(!ctx.is_done() && ctx.err().is_none() && ctx.deadline().is_none());
    /// ```
    pub const fn background() -> Context {
        Context {
            repr: Repr::Background,
        }
    }

    /// Like [`background()`](Context::background), for code that does not
    /// know yet which context to use: a marker for later (C1).
    pub const fn todo() -> Context {
        Context { repr: Repr::Todo }
    }

    /// The nearest cancelable node: where done-ness, errors and deadlines live.
    #[inline]
    fn cancel_node(&self) -> Option<&NodeRef> {
        // Three arms, not five: LLVM then emits two compares instead of a
        // jump table, which costs a visible nanosecond on the `run` hot path.
        match &self.repr {
            Repr::Cancel(n, _) => Some(n),
            Repr::Value(v) => v.cancel(),
            _ => None,
        }
    }

    /// The nearest value node: where `value()` starts.
    #[inline]
    fn value_node(&self) -> Option<&Arc<ValueNode>> {
        match &self.repr {
            Repr::Cancel(_, v) => v.as_ref(),
            Repr::Value(v) => Some(v),
            Repr::WithoutCancel(v) => v.as_ref(),
            Repr::Background | Repr::Todo => None,
        }
    }

    #[cfg_attr(feature = "inspect", track_caller)]
    fn child(&self, due: Due, cause: Option<Cause>, kind: Kind) -> (Context, CancelFunc) {
        self.child_born(due, cause, Born::here(kind))
    }

    /// `with_timeout`/`with_cancel` made on behalf of the line `site`
    /// (`ContextLayer`'s request contexts, for `why()` and the live view).
    #[cfg(feature = "http")]
    pub(crate) fn child_for(
        &self,
        site: crate::tree::Site,
        timeout: Option<Duration>,
    ) -> (Context, CancelFunc) {
        match timeout {
            Some(t) => self.child_born(Due::after(t), None, Born::at(site, Kind::Timeout)),
            None => self.child_born(Due::NONE, None, Born::at(site, Kind::Cancel)),
        }
    }

    fn child_born(&self, due: Due, cause: Option<Cause>, born: Born) -> (Context, CancelFunc) {
        let node = CancelNode::new(self.cancel_node(), due, cause, born);
        let ctx = Context {
            repr: Repr::Cancel(NodeRef::clone(&node), self.value_node().cloned()),
        };
        (ctx, CancelFunc::new(node))
    }

    /// A child that is done when `cancel` is called or dropped, or when this
    /// context is done, whichever is first (Go's `WithCancel`; with
    /// [`CancelFunc::cancel_with_cause`], Go's `WithCancelCause`).
    ///
    /// Costs one allocation. The child is linked to its parent until it is
    /// cancelled, which unlinks it (C6).
    #[inline]
    #[cfg_attr(feature = "inspect", track_caller)]
    pub fn with_cancel(&self) -> (Context, CancelFunc) {
        self.child(Due::NONE, None, Kind::Cancel)
    }

    /// A child that is also done, with [`Error::DeadlineExceeded`], once
    /// `deadline` passes (Go's `WithDeadline`). Its [`deadline()`](Context::deadline)
    /// is the earlier of `deadline` and the parent's. A deadline already past
    /// gives a context that is done at once (C7). Deadlines fire on a shared
    /// timer thread, with or without an async runtime (C15).
    ///
    /// Deadlines are `std::time::Instant`s on the real clock, except for a
    /// context made on a tokio runtime whose time is paused
    /// (`#[tokio::test(start_paused = true)]`): its deadline is on tokio's
    /// clock (a `tokio::time::Instant`'s `into_std()`), fires when virtual
    /// time passes it (`sleep`, `time::advance`), and `deadline()` and
    /// [`remaining()`](Context::remaining) are on that clock. A deadline more than about 35 years away is clamped to
    /// the farthest one the clock word holds, which is reported by
    /// [`deadline()`](Context::deadline).
    ///
    /// A passed deadline counts as done for every reader at once, even before
    /// the timer fires, and the first reader to see it records it, so
    /// [`err()`](Context::err) never changes afterwards (C4). A `cancel()`
    /// after the deadline passed but before anyone looked gives `Canceled`,
    /// as in Go.
    #[cfg_attr(feature = "inspect", track_caller)]
    pub fn with_deadline(&self, deadline: Instant) -> (Context, CancelFunc) {
        self.child(Due::at(deadline), None, Kind::Deadline)
    }

    /// [`with_deadline`](Context::with_deadline) whose `cause()` is `cause`
    /// when the deadline fires (Go's `WithDeadlineCause`, C11). A cancel
    /// before the deadline reports `Canceled` as usual.
    #[cfg_attr(feature = "inspect", track_caller)]
    pub fn with_deadline_cause(
        &self,
        deadline: Instant,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> (Context, CancelFunc) {
        self.child(Due::at(deadline), Some(Arc::new(cause)), Kind::Deadline)
    }

    /// `with_deadline(now + timeout)`, saturating: `Duration::MAX` and other
    /// huge timeouts mean no deadline, never a panic (C8).
    ///
    /// ```
    /// use std::time::Duration;
    /// let (ctx, _cancel) = context::Context::background().with_timeout(Duration::MAX);
    /// assert!(!ctx.is_done());
    /// ```
    #[cfg_attr(feature = "inspect", track_caller)]
    pub fn with_timeout(&self, timeout: Duration) -> (Context, CancelFunc) {
        self.child(Due::after(timeout), None, Kind::Timeout)
    }

    /// [`with_timeout`](Context::with_timeout) with a cause for when it fires
    /// (Go's `WithTimeoutCause`).
    #[cfg_attr(feature = "inspect", track_caller)]
    pub fn with_timeout_cause(
        &self,
        timeout: Duration,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> (Context, CancelFunc) {
        self.child(Due::after(timeout), Some(Arc::new(cause)), Kind::Timeout)
    }

    /// A child carrying `value`, found by [`value::<T>()`](Context::value)
    /// here and in every descendant (Go's `WithValue`, C9). Values are keyed
    /// by type: define a newtype per key, private to your module if others
    /// must not read it. Values never affect cancellation.
    ///
    /// ```
    /// #[derive(Debug, PartialEq)]
    /// struct User(&'static str);
    ///
    /// let ctx = context::Context::background().with_value(User("ana"));
    /// let (child, _cancel) = ctx.with_cancel();
    /// assert_eq!(child.value::<User>(), Some(&User("ana")));
    /// assert_eq!(child.value::<u32>(), None);
    /// ```
    pub fn with_value<T: Any + Send + Sync>(&self, value: T) -> Context {
        let node = ValueNode::new(
            self.value_node().cloned(),
            self.cancel_node().cloned(),
            value,
        );
        Context {
            repr: Repr::Value(Arc::new(node)),
        }
    }

    /// A context with this one's values but none of its cancellation: never
    /// done, no deadline, whatever happens to this one (Go's
    /// `WithoutCancel`, C10). For work that must outlive the request, such as
    /// an audit write after the client hung up. Allocates nothing.
    ///
    /// ```
    /// let (ctx, cancel) = context::Context::background().with_value(5u8).with_cancel();
    /// let detached = ctx.without_cancel();
    /// cancel.cancel();
    /// assert!(!detached.is_done());
    /// assert_eq!(detached.value::<u8>(), Some(&5));
    /// ```
    pub fn without_cancel(&self) -> Context {
        Context {
            repr: Repr::WithoutCancel(self.value_node().cloned()),
        }
    }

    /// Runs `f` once this context is done (Go's `AfterFunc`, C12); see
    /// [`AfterFunc`] for where it runs. On a context that is never done, `f`
    /// never runs.
    pub fn after_func<F: FnOnce() + Send + 'static>(&self, f: F) -> AfterFunc {
        AfterFunc::new(self.cancel_node(), f)
    }

    /// When this context will be done by itself, if ever: its own deadline or
    /// an ancestor's, whichever is earlier (Go's `Deadline`).
    pub fn deadline(&self) -> Option<Instant> {
        self.cancel_node().and_then(|n| n.deadline())
    }

    /// A future that resolves once this context is done (Go's
    /// `<-ctx.Done()`). See [`Done`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let (ctx, cancel) = context::Context::background().with_cancel();
    /// tokio::select! {
    ///     _ = ctx.done() => unreachable!(),
    ///     _ = async { cancel.cancel() } => {}
    /// }
    /// ctx.done().await; // done: resolves at once
    /// # }
    /// ```
    #[inline]
    pub fn done(&self) -> Done<'_> {
        Done::new(self.cancel_node().map(|n| &**n))
    }

    /// [`done`](Context::done) that holds its own reference to the context:
    /// `'static + Send`, for a spawned task or a graceful-shutdown hook
    /// (tokio-util's `cancelled_owned`). See [`OwnedDone`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let (ctx, cancel) = context::Context::background().with_cancel();
    /// let shutdown = ctx.done_owned(); // e.g. axum's with_graceful_shutdown(shutdown)
    /// drop(ctx);
    /// cancel.cancel();
    /// shutdown.await;
    /// # }
    /// ```
    pub fn done_owned(&self) -> OwnedDone {
        OwnedDone::new(self.cancel_node().cloned())
    }

    /// Time left until [`deadline()`](Context::deadline): zero once it has
    /// passed, `None` without a deadline. What to send downstream as a
    /// timeout (`grpc-timeout`), or to give a call that takes a `Duration`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use context::Context;
    ///
    /// assert_eq!(Context::background().remaining(), None);
    /// let (ctx, _cancel) = Context::background().with_timeout(Duration::from_secs(5));
    /// let left = ctx.remaining().unwrap();
    /// assert!(left <= Duration::from_secs(5) && left > Duration::from_secs(4));
    /// let (gone, _cancel) = Context::background().with_timeout(Duration::ZERO);
    /// assert_eq!(gone.remaining(), Some(Duration::ZERO));
    /// ```
    pub fn remaining(&self) -> Option<Duration> {
        self.cancel_node()?.remaining()
    }

    /// [`err()`](Context::err) as `Err`, else [`remaining()`](Context::remaining),
    /// from one clock read.
    #[cfg(feature = "http")]
    pub(crate) fn left(&self) -> Result<Option<Duration>, Error> {
        self.cancel_node().map_or(Ok(None), |n| n.left())
    }

    /// [`err()`](Context::err) from the state alone, without reading the
    /// clock: right for a context just made whose deadline is its own
    /// (checked then, against the same clock reading) or none.
    #[cfg(feature = "http")]
    pub(crate) fn err_as_made(&self) -> Option<Error> {
        self.cancel_node()
            .filter(|n| n.is_marked())
            .map(|n| n.done_error())
    }

    /// Whether this context is done (Go's `select` on `Done()` with a
    /// `default`). One atomic load, plus a clock read while a deadline is
    /// pending; no lock. A deadline counts from the moment it passes, even
    /// before the timer thread gets to it: the first reader to see that
    /// records it in the tree (briefly taking the locks of the nodes it
    /// marks, never running user code), so that [`err()`](Context::err)
    /// never changes afterwards. Every later call is the one load again.
    #[inline]
    pub fn is_done(&self) -> bool {
        self.cancel_node().is_some_and(|n| n.is_done())
    }

    /// `None` while live; then why it is done, forever the same (Go's
    /// `Err`, C4). As cheap as [`is_done`](Context::is_done).
    #[inline]
    pub fn err(&self) -> Option<Error> {
        self.cancel_node().and_then(|n| n.err())
    }

    /// `None` while live; then the cause given to `cancel_with_cause` or
    /// `with_deadline_cause`, or the [`Error`] itself if none was (Go's
    /// `context.Cause`, C11). A context cancelled by its parent reports the
    /// parent's cause (C2).
    pub fn cause(&self) -> Option<Cause> {
        self.cancel_node().and_then(|n| n.cause())
    }

    /// `None` while live; then why it is done and where: the chain up to
    /// the context that ended by itself, with the lines that made and
    /// cancelled it (feature `inspect`; see [`inspect::Why`](crate::inspect::Why)).
    ///
    /// ```
    /// use context::{inspect::Reason, Context};
    ///
    /// let (ctx, cancel) = Context::background().with_cancel();
    /// assert!(ctx.why().is_none());
    /// cancel.cancel(); let line = line!();
    /// let why = ctx.why().unwrap();
    /// assert!(matches!(why.origin().reason, Reason::Called { at } if at.line() == line));
    /// ```
    #[cfg(all(feature = "inspect", not(loom)))]
    pub fn why(&self) -> Option<crate::inspect::Why> {
        crate::inspect::Why::read(self.cancel_node()?)
    }

    /// The nearest value of type `T` up the chain, or `None` (Go's `Value`).
    /// Walks only the value nodes, not the cancelable ones between them.
    #[inline]
    pub fn value<T: Any>(&self) -> Option<&T> {
        value::lookup(self.value_node().map(|v| &**v))
    }

    /// Runs `fut` until it completes (`Ok`) or this context is done
    /// (`Err(ctx.err())`, the future is dropped): a biased race, so a context
    /// already done never polls `fut` (C14). This is what `#[ctx_aware]`
    /// puts around every `.await`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use context::{Context, Error};
    ///
    /// let (ctx, cancel) = Context::background().with_cancel();
    /// assert_eq!(ctx.run(async { 1 }).await, Ok(1));
    /// cancel.cancel();
    /// assert_eq!(ctx.run(async { 2 }).await, Err(Error::Canceled));
    /// # }
    /// ```
    #[inline]
    pub fn run<F: IntoFuture>(&self, fut: F) -> Run<'_, F::IntoFuture> {
        Run::new(self.done(), fut.into_future())
    }

    /// [`run`](Context::run) that holds its own reference to the context:
    /// `'static` when `fut` is, so it can be spawned (tokio-util's
    /// `run_until_cancelled_owned`). The same biased race (C14).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use context::{Context, Error};
    ///
    /// let (ctx, cancel) = Context::background().with_cancel();
    /// let task = tokio::spawn(ctx.run_owned(std::future::pending::<()>()));
    /// cancel.cancel();
    /// assert_eq!(task.await.unwrap(), Err(Error::Canceled));
    /// # }
    /// ```
    pub fn run_owned<F: IntoFuture>(&self, fut: F) -> crate::OwnedRun<F::IntoFuture> {
        crate::OwnedRun::new(self.done_owned(), fut.into_future())
    }

    /// A snapshot of this context's node, for the crate's own tests of
    /// C6 and C13. Not part of the API.
    #[doc(hidden)]
    pub fn __stats(&self) -> crate::NodeStats {
        self.cancel_node()
            .map_or_else(Default::default, |n| n.stats())
    }
}

impl fmt::Debug for Context {
    /// Shows the kind, whether it is done and the deadline (C16). Of a value
    /// node only the type's name is shown, never the value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.repr {
            Repr::Background => "background",
            Repr::Todo => "todo",
            Repr::Cancel(n, _) if n.deadline().is_some() => "deadline",
            Repr::Cancel(..) => "cancel",
            Repr::Value(_) => "value",
            Repr::WithoutCancel(_) => "without-cancel",
        };
        let mut d = f.debug_struct("Context");
        d.field("kind", &kind);
        if let Repr::Value(v) = &self.repr {
            d.field("value_type", &v.type_name());
        }
        d.field("done", &self.is_done())
            .field("deadline", &self.deadline())
            .finish()
    }
}
