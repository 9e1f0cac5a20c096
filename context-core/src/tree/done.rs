//! `Done`: the future behind `ctx.done().await` (Go's `<-ctx.Done()`).

use std::fmt;
use std::future::Future;
use std::num::NonZeroUsize;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll, Waker};

use crate::tree::{CancelNode, UNREGISTERED};

/// Resolves when its context is done; never, for a context that cannot be
/// cancelled (`background()`, `without_cancel()`).
///
/// Made by [`Context::done`](crate::Context::done). Resolves at once if the
/// context already is done. It registers its task's waker at most once
/// (re-polls by the same task take no lock) and takes it out again when
/// dropped, so it is cancel-safe in `tokio::select!` (C13). Any number of
/// `Done`s are all woken by one cancel.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let (ctx, cancel) = context::Context::background().with_cancel();
/// tokio::spawn(async move { cancel.cancel() });
/// ctx.done().await;
/// assert!(ctx.is_done());
/// # }
/// ```
pub struct Done<'a> {
    node: Option<&'a CancelNode>,
    waiter: Waiter,
}

/// A task's registration on a node: shared by [`Done`] (borrowing its
/// context) and [`OwnedDone`] (owning it, for futures that must be
/// `'static`, such as the HTTP layer's).
pub(crate) struct Waiter {
    /// `None` until registered. The vtable's niche makes `None` one zero
    /// word: a `Run` whose future is ready at once writes one word here.
    reg: Option<Registration>,
}

#[derive(Clone, Copy)]
struct Registration {
    /// The key of our waker in the node's list.
    key: usize,
    /// Identity (data, vtable) of the waker registered under `key`, to skip
    /// the lock when the same task polls again.
    data: usize,
    vtable: NonZeroUsize,
}

impl Registration {
    fn is_for(&self, w: &Waker) -> bool {
        self.data == w.data() as usize && self.vtable.get() == w.vtable() as *const _ as usize
    }
}

impl Waiter {
    const NEW: Waiter = Waiter { reg: None };

    /// Makes sure `waker` is woken when the node is done: `Ready` if it
    /// already is. The caller has checked `is_done()` just before.
    pub(crate) fn poll_register(&mut self, node: &CancelNode, waker: &Waker) -> Poll<()> {
        if self.reg.is_some_and(|r| r.is_for(waker)) {
            return Poll::Pending;
        }
        let mut key = self.reg.map_or(UNREGISTERED, |r| r.key);
        if !node.register(waker, &mut key) {
            self.reg = None;
            return Poll::Ready(());
        }
        let vtable = NonZeroUsize::new(waker.vtable() as *const _ as usize)
            .expect("a reference is never null");
        self.reg = Some(Registration {
            key,
            data: waker.data() as usize,
            vtable,
        });
        Poll::Pending
    }

    /// `Done`'s poll: ready once `node` (if any) is done.
    pub(crate) fn poll(&mut self, node: Option<&CancelNode>, waker: &Waker) -> Poll<()> {
        let Some(node) = node else {
            return Poll::Pending;
        };
        if node.is_done() {
            self.reg = None; // the cancel took our waker
            return Poll::Ready(());
        }
        self.poll_register(node, waker)
    }

    /// Takes our waker out again. Inlined: most waiters (inside `run` on a
    /// ready future) never registered, and must cost a compare, not a call.
    #[inline]
    fn release(&mut self, node: Option<&CancelNode>) {
        if let (Some(r), Some(node)) = (self.reg, node) {
            node.deregister(r.key);
        }
    }
}

impl<'a> Done<'a> {
    #[inline]
    pub(crate) fn new(node: Option<&'a CancelNode>) -> Done<'a> {
        Done {
            node,
            waiter: Waiter::NEW,
        }
    }

    #[inline]
    pub(crate) fn node(&self) -> Option<&'a CancelNode> {
        self.node
    }

    /// See [`Waiter::poll_register`].
    pub(crate) fn poll_register(&mut self, node: &CancelNode, waker: &Waker) -> Poll<()> {
        self.waiter.poll_register(node, waker)
    }
}

impl Future for Done<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.waiter.poll(this.node, cx.waker())
    }
}

impl Drop for Done<'_> {
    #[inline]
    fn drop(&mut self) {
        self.waiter.release(self.node);
    }
}

impl fmt::Debug for Done<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Done")
            .field("done", &self.node.is_some_and(CancelNode::is_done))
            .field("registered", &self.waiter.reg.is_some())
            .finish()
    }
}

/// [`Done`] that owns its context: `'static + Send`, for futures that are
/// stored or spawned (a graceful-shutdown hook, a watcher task, the HTTP
/// layers). Made by [`Context::done_owned`](crate::Context::done_owned);
/// same contract as [`Done`] (C13): resolves at once if the context is
/// done, registers its task at most once, takes its waker out when dropped,
/// never resolves for a context that cannot be cancelled.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let (ctx, cancel) = context::Context::background().with_cancel();
/// let watcher = tokio::spawn(ctx.done_owned()); // no borrow of `ctx`
/// cancel.cancel();
/// watcher.await.unwrap();
/// # }
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct OwnedDone {
    node: Option<crate::tree::NodeRef>,
    waiter: Waiter,
}

impl OwnedDone {
    pub(crate) fn new(node: Option<crate::tree::NodeRef>) -> OwnedDone {
        OwnedDone {
            node,
            waiter: Waiter::NEW,
        }
    }

    /// The node it waits on (`None` for a context that cannot be
    /// cancelled), and its registration on it.
    pub(crate) fn split(&mut self) -> (Option<&CancelNode>, &mut Waiter) {
        (self.node.as_deref(), &mut self.waiter)
    }
}

impl Future for OwnedDone {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.waiter.poll(this.node.as_deref(), cx.waker())
    }
}

impl Drop for OwnedDone {
    fn drop(&mut self) {
        self.waiter.release(self.node.as_deref());
    }
}

impl fmt::Debug for OwnedDone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedDone")
            .field(
                "done",
                &self.node.as_deref().is_some_and(CancelNode::is_done),
            )
            .field("registered", &self.waiter.reg.is_some())
            .finish()
    }
}
