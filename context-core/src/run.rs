//! `Run`: the biased race behind `ctx.run(fut)` and every `.await` that
//! `#[ctx_aware]` rewrites.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use crate::error::Error;
use crate::tree::done::{Done, OwnedDone};
use crate::tree::CancelNode;

pin_project_lite::pin_project! {
    /// Runs a future until it completes or its context is done, whichever
    /// is first (C14). Made by [`Context::run`](crate::Context::run).
    ///
    /// Biased towards the context: if it is done when polled, the future is
    /// not polled and `Err` is returned. While the future is pending, the
    /// task is registered to be woken by a cancel (once, not per poll). On a
    /// context that cannot be cancelled it is the plain future.
    ///
    /// Cost when the context is live and the future is ready: one atomic load
    /// over a plain `.await` (plus a clock read if a deadline is pending).
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Run<'a, F> {
        #[pin]
        fut: F,
        done: Done<'a>,
    }
}

impl<'a, F> Run<'a, F> {
    pub(crate) fn new(done: Done<'a>, fut: F) -> Self {
        Run { fut, done }
    }
}

impl<F: Future> Future for Run<'_, F> {
    type Output = Result<F::Output, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let done = this.done;
        race(done.node(), this.fut, cx, |node, cx| {
            done.poll_register(node, cx.waker())
        })
    }
}

/// The race of C14, for both futures: the context first (an ended one
/// polls nothing), then the future, then a registration to be woken.
#[inline]
fn race<F: Future>(
    node: Option<&CancelNode>,
    fut: Pin<&mut F>,
    cx: &mut TaskContext<'_>,
    register: impl FnOnce(&CancelNode, &mut TaskContext<'_>) -> Poll<()>,
) -> Poll<Result<F::Output, Error>> {
    let Some(node) = node else {
        return fut.poll(cx).map(Ok);
    };
    if node.is_done() {
        return Poll::Ready(Err(node.done_error()));
    }
    if let Poll::Ready(v) = fut.poll(cx) {
        return Poll::Ready(Ok(v));
    }
    register(node, cx).map(|()| Err(node.done_error()))
}

impl<F> fmt::Debug for Run<'_, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Run")
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

pin_project_lite::pin_project! {
    /// [`Run`] that holds its own reference to the context: `'static` when
    /// the future is, for `tokio::spawn` (tokio-util's
    /// `run_until_cancelled_owned`). Made by
    /// [`Context::run_owned`](crate::Context::run_owned); same race (C14).
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct OwnedRun<F> {
        #[pin]
        fut: F,
        done: OwnedDone,
    }
}

impl<F> OwnedRun<F> {
    pub(crate) fn new(done: OwnedDone, fut: F) -> Self {
        OwnedRun { fut, done }
    }
}

impl<F: Future> Future for OwnedRun<F> {
    type Output = Result<F::Output, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let (node, waiter) = this.done.split();
        race(node, this.fut, cx, |n, cx| {
            waiter.poll_register(n, cx.waker())
        })
    }
}

impl<F> fmt::Debug for OwnedRun<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedRun")
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}
