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
    /// The key of our waker in the node's list, or `UNREGISTERED`.
    key: usize,
    /// Identity (data, vtable) of the waker registered under `key`, to skip
    /// the lock when the same task polls again.
    waker_id: (usize, usize),
}

fn waker_id(w: &Waker) -> (usize, usize) {
    (w.data() as usize, w.vtable() as *const _ as usize)
}

impl<'a> Done<'a> {
    #[inline]
    pub(crate) fn new(node: Option<&'a CancelNode>) -> Done<'a> {
        Done {
            node,
            key: UNREGISTERED,
            waker_id: (0, 0),
        }
    }

    #[inline]
    pub(crate) fn node(&self) -> Option<&'a CancelNode> {
        self.node
    }

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
}

impl Future for Done<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        let this = self.get_mut();
        let Some(node) = this.node else {
            return Poll::Pending;
        };
        if node.is_done() {
            this.key = UNREGISTERED; // the cancel took our waker
            return Poll::Ready(());
        }
        this.poll_register(node, cx.waker())
    }
}

impl Drop for Done<'_> {
    /// Inlined: most `Done`s (inside `run` on a ready future) never
    /// registered, and dropping them must cost a compare, not a call.
    #[inline]
    fn drop(&mut self) {
        if self.key != UNREGISTERED {
            if let Some(node) = self.node {
                node.deregister(self.key);
            }
        }
    }
}

impl fmt::Debug for Done<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Done")
            .field("done", &self.node.is_some_and(CancelNode::is_done))
            .field("registered", &(self.key != UNREGISTERED))
            .finish()
    }
}
