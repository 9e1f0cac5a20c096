//! Contexts for HTTP services (feature `http`): "incoming requests to a
//! server should create a Context, and outgoing calls to servers should
//! accept a Context".
//!
//! - [`ContextLayer`] (server): each request gets a context made from a base
//!   context (cancel it to stop every request, e.g. after a shutdown grace
//!   period), the request's `grpc-timeout` header (clamped by a maximum, a
//!   default when absent) and the connection. The context is in the
//!   request's extensions. It ends when the client goes away (hyper drops
//!   the response future or body; the cause is [`Disconnected`]), when the
//!   deadline passes (the handler is dropped and `504 Gateway Timeout`, or
//!   `grpc-status: 4`, is sent), or once the response body has been sent in
//!   full (not when the handler returns: a streaming body keeps its context).
//!   A malformed `grpc-timeout` is answered `400` (or `grpc-status: 13`) with
//!   the reason, and a deadline already spent `504`, without calling the handler.
//! - [`PropagateLayer`] / [`inject_deadline`] (client): the remaining time
//!   travels as `grpc-timeout` (rounded up), a call whose deadline is already
//!   spent fails without being sent, and an in-flight call is dropped when
//!   its context ends.
//! - [`grpc_timeout`]: the header codec.
//!
//! The layers depend on `http`, `http-body` and `tower-layer`/`tower-service`
//! only: they fit axum, hyper, tonic and any tower stack.

mod body;
mod client;
pub mod grpc_timeout;
mod server;

pub use body::{ContextBody, Disconnected};
pub use client::{inject_deadline, Propagate, PropagateFuture, PropagateLayer};
pub use server::{ContextLayer, ContextService, ResponseFuture};

/// The error type of [`Propagate`]: the inner service's error, or a
/// [`crate::Error`] when the context ended first.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn is_grpc(headers: &http::HeaderMap) -> bool {
    headers
        .get(http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/grpc"))
}
