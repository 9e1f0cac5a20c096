//! `Done`: the future behind `ctx.done().await` (Go's `<-ctx.Done()`).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll, Waker};

use crate::tree::CancelNode;

const UNREGISTERED: usize = usize::MAX;

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
/// let (ctx, cancel) = context_core::Context::background().with_cancel();
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
    /// The key of our waker in the node's list, or `UNREGISTERED`.
    key: usize,
    /// Identity (data, vtable) of the waker registered under `key`, to skip
    /// the lock when the same task polls again.
    waker_id: (usize, usize),
}

fn waker_id(w: &Waker) -> (usize, usize) {
    (w.data() as usize, w.vtable() as *const _ as usize)
}

impl Waiter {
    const NEW: Waiter = Waiter {
        key: UNREGISTERED,
        waker_id: (0, 0),
    };

    /// Makes sure `waker` is woken when the node is done: `Ready` if it
    /// already is. The caller has checked `is_done()` just before.
    pub(crate) fn poll_register(&mut self, node: &CancelNode, waker: &Waker) -> Poll<()> {
        if self.key != UNREGISTERED && self.waker_id == waker_id(waker) {
            return Poll::Pending;
        }
        if !node.register(waker, &mut self.key) {
            return Poll::Ready(());
        }
        self.waker_id = waker_id(waker);
        Poll::Pending
    }

    /// `Done`'s poll: ready once `node` (if any) is done.
    fn poll(&mut self, node: Option<&CancelNode>, waker: &Waker) -> Poll<()> {
        let Some(node) = node else {
            return Poll::Pending;
        };
        if node.is_done() {
            self.key = UNREGISTERED; // the cancel took our waker
            return Poll::Ready(());
        }
        self.poll_register(node, waker)
    }

    /// Takes our waker out again. Inlined: most waiters (inside `run` on a
    /// ready future) never registered, and must cost a compare, not a call.
    #[inline]
    fn release(&mut self, node: Option<&CancelNode>) {
        if self.key != UNREGISTERED {
            if let Some(node) = node {
                node.deregister(self.key);
            }
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
            .field("registered", &(self.waiter.key != UNREGISTERED))
            .finish()
    }
}

/// [`Done`] that owns its context's node: `'static`, for futures that are
/// stored or spawned (the HTTP layers, the signal watcher). Same contract.
#[cfg(any(feature = "http", feature = "signal"))]
pub(crate) struct OwnedDone {
    node: Option<crate::tree::NodeRef>,
    waiter: Waiter,
}

#[cfg(any(feature = "http", feature = "signal"))]
impl OwnedDone {
    pub(crate) fn new(node: Option<crate::tree::NodeRef>) -> OwnedDone {
        OwnedDone {
            node,
            waiter: Waiter::NEW,
        }
    }
}

#[cfg(any(feature = "http", feature = "signal"))]
impl Future for OwnedDone {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.waiter.poll(this.node.as_deref(), cx.waker())
    }
}

#[cfg(any(feature = "http", feature = "signal"))]
impl Drop for OwnedDone {
    fn drop(&mut self) {
        self.waiter.release(self.node.as_deref());
    }
}
