//! axum integration (feature `axum`): `Context` as an extractor, `Error` as
//! a response. Built on `axum-core`, so the library does not pull in axum.

use axum_core::extract::FromRequestParts;
use axum_core::response::{IntoResponse, Response};
use http::request::Parts;
use http::StatusCode;

use crate::{Context, Error};

/// The rejection when a handler asks for a [`Context`] but
/// [`ContextLayer`](crate::http::ContextLayer) is not installed: a 500 that
/// names the missing layer.
#[derive(Clone, Copy, Debug)]
pub struct MissingContextLayer;

impl std::fmt::Display for MissingContextLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("no request Context: add `.layer(context::http::ContextLayer::new(base))` to the router")
    }
}

impl std::error::Error for MissingContextLayer {}

impl IntoResponse for MissingContextLayer {
    fn into_response(self) -> Response {
        (StatusCode::INTERNAL_SERVER_ERROR, self.to_string()).into_response()
    }
}

/// `async fn handler(ctx: Context) -> ..`: the request's context, from
/// [`ContextLayer`](crate::http::ContextLayer).
impl<S: Send + Sync> FromRequestParts<S> for Context {
    type Rejection = MissingContextLayer;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Context>()
            .cloned()
            .ok_or(MissingContextLayer)
    }
}

/// `DeadlineExceeded` is `504 Gateway Timeout`; `Canceled` is
/// `503 Service Unavailable` (the server is stopping the request).
impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = match self {
            Error::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
            Error::Canceled => StatusCode::SERVICE_UNAVAILABLE,
        };
        (status, self.to_string()).into_response()
    }
}
