//! gRPC with tonic (feature `tonic`): the context of an incoming call, the
//! gRPC status of an ended context, and outgoing calls that cannot lose
//! their deadline.
//!
//! Server: put [`ContextLayer`](crate::http::ContextLayer) on the server
//! (`Server::builder().layer(ContextLayer::new(base))`); each call's
//! context (its `grpc-timeout`, the client's hang-up, the base) is then
//! [`RequestContext::context`] of its `tonic::Request`. An ended context
//! answers as a `Status` with `?`: `Canceled` is `CANCELLED`,
//! `DeadlineExceeded` is `DEADLINE_EXCEEDED`.
//!
//! Client: make each request with [`request`], which puts the context in
//! the request and its remaining time in `grpc-timeout` (the shorter one,
//! if a timeout is set on the request too), and put
//! [`PropagateLayer`](crate::http::PropagateLayer) on the channel, so that a
//! context that ends drops the call (the server sees `CANCELLED`) and the
//! caller gets `CANCELLED` or `DEADLINE_EXCEEDED`:
//!
//! ```ignore
//! use context::http::PropagateLayer;
//! use tower_layer::Layer;
//!
//! let channel = tonic::transport::Endpoint::from_static("http://[::1]:50051").connect().await?;
//! let mut client = GreeterClient::new(PropagateLayer::new().layer(channel));
//! let reply = client.say_hello(context::tonic::request(&ctx, HelloRequest { .. })?).await?;
//! ```
//!
//! A deadline that crosses three hops this way shrinks at each one, and a
//! cancel at the first reaches the last (`integrations/e2e`).

use tonic::metadata::MetadataValue;

use crate::http::grpc_timeout::{encode_into, GRPC_TIMEOUT, MAX_LEN};
use crate::{Context, Error};

pub use tonic::Status;

/// The context of an incoming call, put there by
/// [`ContextLayer`](crate::http::ContextLayer).
pub trait RequestContext {
    /// The call's context; a `Status` naming the missing layer when the
    /// server has no `ContextLayer` (an `INTERNAL` error: a set-up bug).
    fn context(&self) -> Result<&Context, Status>;
}

impl<T> RequestContext for tonic::Request<T> {
    fn context(&self) -> Result<&Context, Status> {
        self.extensions().get::<Context>().ok_or_else(|| {
            Status::internal(
                "this call has no context: add `context::http::ContextLayer` to the server (`Server::builder().layer(ContextLayer::new(base))`)",
            )
        })
    }
}

/// `Canceled` is `CANCELLED`, `DeadlineExceeded` is `DEADLINE_EXCEEDED`,
/// with the error's text as the message. [`status`] adds the cause.
impl From<Error> for Status {
    fn from(e: Error) -> Status {
        match e {
            Error::Canceled => Status::cancelled(e.to_string()),
            Error::DeadlineExceeded => Status::deadline_exceeded(e.to_string()),
        }
    }
}

/// The status of an ended context, its cause's text in the message when
/// there is one beyond the error itself (`context canceled: SIGTERM`);
/// `None` while it is not done.
///
/// ```
/// use context_core::{tonic::status, Context};
///
/// let (ctx, cancel) = Context::background().with_cancel();
/// assert!(status(&ctx).is_none());
/// cancel.cancel_with_cause(std::io::Error::other("shutting down"));
/// let s = status(&ctx).unwrap();
/// assert_eq!(s.code(), tonic::Code::Cancelled);
/// assert_eq!(s.message(), "context canceled: shutting down");
/// ```
pub fn status(ctx: &Context) -> Option<Status> {
    let e = ctx.err()?;
    let mut s = Status::from(e);
    if let Some(c) = ctx.cause() {
        let cause = c.to_string();
        if cause != e.to_string() {
            s = Status::new(s.code(), format!("{e}: {cause}"));
        }
    }
    Some(s)
}

/// An outgoing request made from `ctx`: the context rides in the
/// request's extensions (where [`PropagateLayer`](crate::http::PropagateLayer)
/// finds it) and its remaining time in `grpc-timeout`. Fails fast, sending
/// nothing, when `ctx` is done or its deadline is spent.
///
/// ```
/// use std::time::Duration;
/// use context_core::{tonic::request, Context};
///
/// let (ctx, cancel) = Context::background().with_timeout(Duration::from_secs(2));
/// let req = request(&ctx, "hello").unwrap();
/// assert!(req.metadata().get("grpc-timeout").is_some());
/// cancel.cancel();
/// assert_eq!(request(&ctx, "hello").unwrap_err().code(), tonic::Code::Cancelled);
/// ```
pub fn request<T>(ctx: &Context, message: T) -> Result<tonic::Request<T>, Status> {
    let left = match ctx.left() {
        Ok(left) => left,
        // `status` adds the cause to the message.
        Err(e) => return Err(status(ctx).unwrap_or_else(|| Status::from(e))),
    };
    let mut req = tonic::Request::new(message);
    if let Some(left) = left {
        if left.is_zero() {
            return Err(Status::from(Error::DeadlineExceeded));
        }
        // What `set_timeout` writes, without its `String`, and rounded
        // up as `PropagateLayer` writes it.
        let mut buf = [0; MAX_LEN];
        let v = MetadataValue::try_from(encode_into(left, &mut buf))
            .expect("digits and a unit letter are valid metadata");
        req.metadata_mut().insert(GRPC_TIMEOUT, v);
    }
    req.extensions_mut().insert(ctx.clone());
    Ok(req)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::http::grpc_timeout::decode;

    #[test]
    fn a_request_carries_its_context_message_and_remaining_time() {
        let (ctx, _cancel) = Context::background().with_timeout(Duration::from_secs(5));
        let req = request(&ctx, "hello").unwrap();
        assert_eq!(*req.get_ref(), "hello");
        let sent = decode(req.metadata().get(GRPC_TIMEOUT).unwrap().as_bytes()).unwrap();
        assert!(
            sent <= Duration::from_secs(5) && sent > Duration::from_secs(4),
            "{sent:?}"
        );
        let carried = req.extensions().get::<Context>().unwrap();
        assert_eq!(carried.deadline(), ctx.deadline());
        // No deadline: no header, the context still rides along.
        let req = request(&Context::background(), ()).unwrap();
        assert!(req.metadata().get(GRPC_TIMEOUT).is_none());
        assert!(req.extensions().get::<Context>().is_some());
    }
}
