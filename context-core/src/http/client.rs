//! Client side: deadlines that travel with outgoing calls.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use http::{HeaderMap, HeaderValue, Request};
use tower_layer::Layer;
use tower_service::Service;

use super::grpc_timeout::{decode, encode, NAME};
use super::BoxError;
use crate::tree::done::OwnedDone;
use crate::{Context, Error};

/// Writes the time `ctx` has left as a `grpc-timeout` header, rounded up.
/// Fails fast, writing nothing, if `ctx` is done or its deadline is spent:
/// such a call should not be sent. When the request already carries a
/// `grpc-timeout` (tonic's `Request::set_timeout`), the shorter of the two
/// is sent, as Go's and grpc-java's clients do; a context without a
/// deadline leaves it as it is.
///
/// ```
/// use std::time::Duration;
/// use context::{http::inject_deadline, Context};
///
/// let (ctx, _cancel) = Context::background().with_timeout(Duration::from_secs(2));
/// let mut headers = http::HeaderMap::new();
/// inject_deadline(&ctx, &mut headers).unwrap();
/// assert!(headers["grpc-timeout"].to_str().unwrap().ends_with('u'));
///
/// headers.insert("grpc-timeout", http::HeaderValue::from_static("500m"));
/// inject_deadline(&ctx, &mut headers).unwrap();
/// assert_eq!(headers["grpc-timeout"], "500m"); // shorter than 2 s: kept
/// ```
pub fn inject_deadline(ctx: &Context, headers: &mut HeaderMap) -> Result<(), Error> {
    if let Some(v) = deadline_header(ctx, headers)? {
        headers.insert(NAME, v);
    }
    Ok(())
}

/// What `inject_deadline` writes, if anything, read from the headers as
/// they are: `PropagateLayer` decides this while it still borrows the
/// context in the request's extensions.
fn deadline_header(ctx: &Context, headers: &HeaderMap) -> Result<Option<HeaderValue>, Error> {
    let Some(left) = ctx.left()? else {
        return Ok(None);
    };
    if left.is_zero() {
        return Err(Error::DeadlineExceeded);
    }
    let theirs = headers.get(&NAME).and_then(|v| decode(v.as_bytes()).ok());
    Ok(theirs.is_none_or(|t| left < t).then(|| encode(left)))
}

/// Propagates the deadline of the [`Context`] found in each outgoing
/// request's extensions (put it there with
/// `req.extensions_mut().insert(ctx.clone())`), and drops the call when that
/// context ends. Requests without a context pass through untouched.
#[derive(Clone, Copy, Debug, Default)]
pub struct PropagateLayer;

impl PropagateLayer {
    /// The layer.
    pub fn new() -> Self {
        PropagateLayer
    }
}

impl<S> Layer<S> for PropagateLayer {
    type Service = Propagate<S>;

    fn layer(&self, inner: S) -> Propagate<S> {
        Propagate { inner }
    }
}

/// The service made by [`PropagateLayer`].
#[derive(Clone, Debug)]
pub struct Propagate<S> {
    inner: S,
}

impl<S, B> Service<Request<B>> for Propagate<S>
where
    S: Service<Request<B>>,
    S::Error: Into<BoxError>,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = PropagateFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        let grpc = super::is_grpc(req.headers());
        let (done, header) = match req.extensions().get::<Context>() {
            Some(ctx) => (ctx.done_owned(), deadline_header(ctx, req.headers())),
            None => (Context::background().done_owned(), Ok(None)),
        };
        let failed = match header {
            Ok(Some(v)) => {
                req.headers_mut().insert(NAME, v);
                None
            }
            Ok(None) => None,
            Err(e) => Some(e),
        };
        PropagateFuture {
            // A spent or ended context: the call is never made.
            fut: failed.is_none().then(|| self.inner.call(req)),
            done,
            failed,
            grpc,
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`Propagate`]: the call, raced against its context.
    pub struct PropagateFuture<F> {
        #[pin]
        fut: Option<F>,
        done: OwnedDone,
        failed: Option<Error>,
        grpc: bool,
    }
}

impl<F, T, E> Future for PropagateFuture<F>
where
    F: Future<Output = Result<T, E>>,
    E: Into<BoxError>,
{
    type Output = Result<T, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if let Some(e) = this.failed.take() {
            return Poll::Ready(Err(ended(e, *this.grpc)));
        }
        // The race of `ctx.run` (C14): the context first (an ended one
        // drops the in-flight call now), then the call, then a
        // registration to be woken, only while the call is pending.
        // `call` read the context, clock included, just before the first
        // poll; from then on its state word is enough: a deadline that
        // passes is fired by its timer, which wakes the registration.
        let (node, waiter) = this.done.split();
        if let Some(n) = node.filter(|n| n.is_marked()) {
            this.fut.set(None);
            return Poll::Ready(Err(ended(n.done_error(), *this.grpc)));
        }
        let Some(fut) = this.fut.as_mut().as_pin_mut() else {
            panic!("PropagateFuture polled after completion");
        };
        if let Poll::Ready(r) = fut.poll(cx) {
            this.fut.set(None);
            return Poll::Ready(r.map_err(Into::into));
        }
        match node {
            Some(n) if waiter.poll_register(n, cx.waker()).is_ready() => {
                this.fut.set(None);
                Poll::Ready(Err(ended(n.done_error(), *this.grpc)))
            }
            _ => Poll::Pending,
        }
    }
}

/// The error of a call its context ended: the [`Error`]; for a gRPC call
/// with the `tonic` feature, the `tonic::Status` that says so (tonic's
/// clients would report a boxed `Error` as `UNKNOWN`).
fn ended(e: Error, grpc: bool) -> BoxError {
    #[cfg(feature = "tonic")]
    if grpc {
        return Box::new(::tonic::Status::from(e));
    }
    let _ = grpc;
    Box::new(e)
}

impl<F> fmt::Debug for PropagateFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PropagateFuture")
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}
