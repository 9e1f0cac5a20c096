//! Server side: `ContextLayer`, a context per request.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderValue, Request, Response, StatusCode};
use http_body::Body;
use tower_layer::Layer;
use tower_service::Service;

use super::body::{ContextBody, Guard};
use super::grpc_timeout::{decode, NAME};
use super::is_grpc;
use crate::tree::done::OwnedDone;
use crate::tree::{CancelNode, Site};
use crate::{CancelFunc, Context, Error};

/// Gives each request a [`Context`], in its extensions. See the
/// [module docs](super) for when it ends and what is answered on its behalf.
///
/// ```
/// use std::time::Duration;
/// use context::{http::ContextLayer, Context};
///
/// let (base, _stop_all) = Context::background().with_cancel();
/// let layer = ContextLayer::new(base)
///     .default_timeout(Duration::from_secs(10)) // no grpc-timeout header
///     .max_timeout(Duration::from_secs(60));    // clamps the header
/// # let _ = layer;
/// ```
// The layer owns the base every request context derives from.
// ctx-lint: allow(ctx-in-struct)
#[derive(Clone, Debug)]
pub struct ContextLayer {
    base: Context,
    default: Option<Duration>,
    max: Option<Duration>,
    grace: Option<Duration>,
    /// The line that made the layer: its request contexts say they were
    /// made there (feature `inspect`; zero-sized without it).
    site: Site,
}

impl ContextLayer {
    /// Request contexts derive from `base`: cancel it to end every request.
    /// With the `inspect` feature, their `why()` and the
    /// live view name the line that called `new` as where they were made.
    #[cfg_attr(feature = "inspect", track_caller)]
    pub fn new(base: Context) -> Self {
        ContextLayer {
            base,
            default: None,
            max: None,
            grace: None,
            site: Site::here(),
        }
    }

    /// The timeout of a request without a `grpc-timeout` header (none by default).
    pub fn default_timeout(mut self, timeout: Duration) -> Self {
        self.default = Some(timeout);
        self
    }

    /// The longest a request may run, whatever its header says.
    pub fn max_timeout(mut self, timeout: Duration) -> Self {
        self.max = Some(timeout);
        self
    }

    /// Lets a handler answer for up to `grace` after its context's deadline
    /// passed, instead of being dropped at the deadline: its context ends
    /// at the deadline as before (its raced awaits return at once), and it
    /// can still answer with what finished in time. `504` (`grpc-status: 4`)
    /// only if it has not answered when the grace is over. None by default.
    ///
    /// A grace covers the deadline only: a client that went away, or a
    /// base context cancelled (shutdown), still drops the handler at once.
    ///
    /// ```
    /// use std::time::Duration;
    /// use context::{http::ContextLayer, Context};
    ///
    /// let layer = ContextLayer::new(Context::background())
    ///     .default_timeout(Duration::from_secs(2))
    ///     .deadline_grace(Duration::from_millis(50));
    /// # let _ = layer;
    /// ```
    pub fn deadline_grace(mut self, grace: Duration) -> Self {
        self.grace = Some(grace);
        self
    }
}

impl<S> Layer<S> for ContextLayer {
    type Service = ContextService<S>;

    fn layer(&self, inner: S) -> ContextService<S> {
        ContextService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service made by [`ContextLayer`].
#[derive(Clone, Debug)]
pub struct ContextService<S> {
    inner: S,
    layer: ContextLayer,
}

/// What the layer answers on the handler's behalf.
#[derive(Debug)]
enum Reply {
    Malformed(String),
    DeadlineExceeded,
    Unavailable,
}

impl Reply {
    fn for_error(e: Error) -> Reply {
        match e {
            Error::DeadlineExceeded => Reply::DeadlineExceeded,
            Error::Canceled => Reply::Unavailable,
        }
    }

    fn into_response<B>(self, grpc: bool) -> Response<ContextBody<B>>
    where
        B: Body,
    {
        let (status, code, text) = match self {
            Reply::Malformed(reason) => (StatusCode::BAD_REQUEST, "13", reason),
            Reply::DeadlineExceeded => (
                StatusCode::GATEWAY_TIMEOUT,
                "4",
                Error::DeadlineExceeded.to_string(),
            ),
            Reply::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "14",
                "the server is shutting down".to_string(),
            ),
        };
        let mut resp = if grpc {
            // gRPC: a trailers-only response, HTTP 200 with the status in headers.
            let mut r = Response::new(ContextBody::message(Bytes::new()));
            let h = r.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/grpc"),
            );
            h.insert("grpc-status", HeaderValue::from_static(code));
            h.insert("grpc-message", grpc_message(&text));
            r
        } else {
            let mut r = Response::new(ContextBody::message(Bytes::from(text + "\n")));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            r
        };
        if !grpc {
            *resp.status_mut() = status;
        }
        resp
    }
}

/// A `grpc-message` value: percent-encoded as the gRPC HTTP/2 spec says
/// (every byte outside 0x20-0x7E, and `%` itself, as `%XX` of the UTF-8).
fn grpc_message(text: &str) -> HeaderValue {
    use std::fmt::Write;
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if (0x20..=0x7e).contains(&b) && b != b'%' {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    HeaderValue::from_str(&out).expect("printable ASCII is a valid header value")
}

impl<S, ReqB, ResB> Service<Request<ReqB>> for ContextService<S>
where
    S: Service<Request<ReqB>, Response = Response<ResB>>,
    ResB: Body,
    ResB::Data: From<Bytes>,
{
    type Response = Response<ContextBody<ResB>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqB>) -> Self::Future {
        let grpc = is_grpc(req.headers());
        let header = match req.headers().get(&NAME).map(|v| decode(v.as_bytes())) {
            None => None,
            Some(Ok(t)) => Some(t),
            Some(Err(e)) => return ResponseFuture::reply(Reply::Malformed(e.to_string()), grpc),
        };
        let timeout = match (header.or(self.layer.default), self.layer.max) {
            (Some(t), Some(max)) => Some(t.min(max)),
            (t, max) => t.or(max),
        };
        let (ctx, cancel) = self.layer.base.child_for(self.layer.site, timeout);
        // A spent `grpc-timeout` was seen as the context was made (it is
        // born expired), and a cancelled base is in its state: the clock is
        // read again only for a deadline of the base's own.
        let ended = if self.layer.base.deadline().is_some() {
            ctx.err()
        } else {
            ctx.err_as_made()
        };
        if let Some(e) = ended {
            // Spent before it started (`grpc-timeout: 0n`) or shutting down:
            // the handler is never called.
            return ResponseFuture::reply(Reply::for_error(e), grpc);
        }
        let done = ctx.done_owned();
        req.extensions_mut().insert(ctx);
        ResponseFuture {
            fut: Some(self.inner.call(req)),
            done,
            guard: Some(Guard::new(cancel)),
            reply: None,
            grpc,
            grace: self.layer.grace,
            in_grace: None,
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`ContextService`]. Dropping it before it
    /// completes (the client went away) cancels the request's context with
    /// [`Disconnected`].
    pub struct ResponseFuture<F> {
        // First, so that it drops first: a client that hangs up cancels the
        // request's context (with `Disconnected`) before the handler is
        // dropped, and the handler's own `CancelFunc`s, dropped with it,
        // find their contexts already ended by the hang-up, which is what
        // their `why()` and `cause()` then say.
        guard: Option<Guard>,
        #[pin]
        fut: Option<F>,
        done: OwnedDone,
        // The rare states are boxed: every request in flight carries this
        // future, moved and boxed by the server around it, and a request
        // that is answered in time needs none of them (56 bytes fewer).
        reply: Option<Box<Reply>>,
        grpc: bool,
        // The handler's time to answer after its deadline, and the timer
        // of that grace once it started.
        grace: Option<Duration>,
        in_grace: Option<Box<(OwnedDone, CancelFunc)>>,
    }
}

impl<F> ResponseFuture<F> {
    fn reply(reply: Reply, grpc: bool) -> Self {
        ResponseFuture {
            fut: None,
            done: Context::background().done_owned(),
            guard: None,
            reply: Some(Box::new(reply)),
            grpc,
            grace: None,
            in_grace: None,
        }
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: Body,
    B::Data: From<Bytes>,
{
    type Output = Result<Response<ContextBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if let Some(reply) = this.reply.take() {
            return Poll::Ready(Ok(reply.into_response(*this.grpc)));
        }
        // The race of `ctx.run` (C14): the context first, then the
        // handler, then a registration to be woken, only while the handler
        // is pending. During the grace, the grace's own timer instead.
        // `call` read the context, clock included; from then on its state
        // word is enough, as in `PropagateFuture`: a deadline that passes
        // is fired by its timer, which wakes the registration.
        let (node, waiter) = this.done.split();
        let node = node.filter(|_| this.in_grace.is_none());
        if let Some(e) = node.filter(|n| n.is_marked()).map(CancelNode::done_error) {
            if !start_grace(e, this.grace, this.in_grace) {
                return Poll::Ready(Ok(ended(this.fut, this.guard, e, *this.grpc)));
            }
            // The handler is polled once more right away, and so sees its
            // context ended before its grace starts to run out.
        }
        let Some(fut) = this.fut.as_mut().as_pin_mut() else {
            panic!("ResponseFuture polled after completion");
        };
        match fut.poll(cx) {
            Poll::Ready(Ok(resp)) => {
                let guard = this.guard.take();
                this.fut.set(None);
                return Poll::Ready(Ok(resp.map(|b| ContextBody::new(b, guard))));
            }
            Poll::Ready(Err(e)) => {
                if let Some(g) = this.guard.take() {
                    g.finish();
                }
                this.fut.set(None);
                return Poll::Ready(Err(e));
            }
            Poll::Pending => {}
        }
        if let Some((grace, _)) = this.in_grace.as_deref_mut() {
            // The deadline passed: the handler has until the grace is over
            // to answer.
            return match Pin::new(grace).poll(cx) {
                Poll::Ready(()) => Poll::Ready(Ok(ended(
                    this.fut,
                    this.guard,
                    Error::DeadlineExceeded,
                    *this.grpc,
                ))),
                Poll::Pending => Poll::Pending,
            };
        }
        match node {
            Some(n) if waiter.poll_register(n, cx.waker()).is_ready() => {
                let e = n.done_error();
                if start_grace(e, this.grace, this.in_grace) {
                    // Let the handler see its context ended first.
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                Poll::Ready(Ok(ended(this.fut, this.guard, e, *this.grpc)))
            }
            _ => Poll::Pending,
        }
    }
}

fn start_grace(
    e: Error,
    grace: &Option<Duration>,
    in_grace: &mut Option<Box<(OwnedDone, CancelFunc)>>,
) -> bool {
    let Some(g) = *grace else { return false };
    if e != Error::DeadlineExceeded {
        return false;
    }
    let (timer, cancel) = Context::background().with_timeout(g);
    *in_grace = Some(Box::new((timer.done_owned(), cancel)));
    true
}

/// The request's context ended before the handler answered: drop the
/// handler now, and answer for it.
fn ended<F, B: Body>(
    mut fut: Pin<&mut Option<F>>,
    guard: &mut Option<Guard>,
    e: Error,
    grpc: bool,
) -> Response<ContextBody<B>> {
    fut.set(None);
    if let Some(g) = guard.take() {
        g.finish();
    }
    Reply::for_error(e).into_response(grpc)
}

impl<F> fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}
