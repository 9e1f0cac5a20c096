//! The response body that holds its request's context open until the last
//! frame is out.

use std::fmt;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

use crate::CancelFunc;

/// The cause of a request context whose client went away: hyper dropped the
/// response future (the handler) or the response body before it was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Disconnected;

impl fmt::Display for Disconnected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the client went away before the response was sent")
    }
}

impl std::error::Error for Disconnected {}

/// Holds a request's `CancelFunc`: `finish` ends the context normally (the
/// response is out); a drop without `finish` means the client went away,
/// unless the deadline had passed by then: a client that resets the
/// stream at its own deadline (as gRPC clients do) hung up because of the
/// deadline, which stays the reason (`DeadlineExceeded`), even when the
/// timer thread has not fired it yet.
///
/// With the `tracing` feature it also records how the request's context
/// ended on the span that was current when the request came in: the field
/// `context.end` (declare it, as `tracing::field::Empty`, to see it there)
/// and a DEBUG event, target `context`, inside that span.
pub(crate) struct Guard {
    cancel: Option<CancelFunc>,
    #[cfg(feature = "tracing")]
    span: tracing::Span,
}

impl Guard {
    pub(crate) fn new(cancel: CancelFunc) -> Guard {
        Guard {
            cancel: Some(cancel),
            #[cfg(feature = "tracing")]
            span: tracing::Span::current(),
        }
    }

    pub(crate) fn finish(mut self) {
        if let Some(c) = self.cancel.take() {
            #[cfg(feature = "tracing")]
            let sent = !c.is_done();
            c.cancel();
            #[cfg(feature = "tracing")]
            self.record(&c, sent);
        }
    }

    /// The request's end on its span: the response went out, or the
    /// context's `why()`.
    #[cfg(feature = "tracing")]
    fn record(&self, c: &CancelFunc, sent: bool) {
        let end = if sent {
            "the response was sent".to_string()
        } else {
            c.why().map_or_else(String::new, |w| w.to_string())
        };
        self.span
            .record("context.end", tracing::field::display(&end));
        tracing::debug!(target: "context", parent: &self.span, end = %end, "request context ended");
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(c) = self.cancel.take() {
            // Its callbacks run here, as a cancel's do: nothing is left for
            // another thread to free later.
            c.cancel_unless_expired(Disconnected);
            #[cfg(feature = "tracing")]
            self.record(&c, false);
        }
    }
}

pin_project_lite::pin_project! {
    /// A response body from [`ContextLayer`](super::ContextLayer): the
    /// handler's body, or the layer's own short message (400, 503, 504). It
    /// keeps the request's context alive until the body has been sent in
    /// full, so a streaming body can keep using it; dropped earlier (the
    /// client went away), it cancels the context with [`Disconnected`](super::Disconnected).
    pub struct ContextBody<B> {
        #[pin]
        inner: Option<B>,
        message: Option<Bytes>,
        guard: Option<Guard>,
    }
}

impl<B: Body> ContextBody<B> {
    pub(crate) fn new(inner: B, guard: Option<Guard>) -> Self {
        let mut body = ContextBody {
            message: None,
            guard,
            inner: Some(inner),
        };
        if body.inner.as_ref().is_some_and(Body::is_end_stream) {
            body.finish();
        }
        body
    }

    pub(crate) fn message(text: Bytes) -> Self {
        ContextBody {
            inner: None,
            message: Some(text),
            guard: None,
        }
    }

    fn finish(&mut self) {
        if let Some(g) = self.guard.take() {
            g.finish();
        }
    }
}

impl<B> Body for ContextBody<B>
where
    B: Body,
    B::Data: From<Bytes>,
{
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        let this = self.project();
        let Some(mut inner) = this.inner.as_pin_mut() else {
            let frame = this.message.take().filter(|m| !m.is_empty());
            return Poll::Ready(frame.map(|m| Ok(Frame::data(B::Data::from(m)))));
        };
        let frame = std::task::ready!(inner.as_mut().poll_frame(cx));
        let ended = match &frame {
            None | Some(Err(_)) => true,
            Some(Ok(_)) => inner.is_end_stream(),
        };
        if ended {
            if let Some(g) = this.guard.take() {
                g.finish();
            }
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        match &self.inner {
            Some(b) => b.is_end_stream(),
            None => self.message.as_ref().is_none_or(Bytes::is_empty),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.inner {
            Some(b) => b.size_hint(),
            None => SizeHint::with_exact(self.message.as_ref().map_or(0, |m| m.len() as u64)),
        }
    }
}

impl<B> fmt::Debug for ContextBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContextBody")
            .field("holds_context", &self.guard.is_some())
            .finish_non_exhaustive()
    }
}
