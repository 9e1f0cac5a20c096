//! Outgoing HTTP with reqwest (feature `reqwest`): a request that carries
//! its context.
//!
//! `client.get(url).context(&ctx).send().await` writes the time `ctx` has
//! left as `grpc-timeout` (the shorter one, if the request already has
//! one), fails fast without sending when `ctx` is done or its deadline is
//! spent, and races the call against `ctx`; the response's body is read
//! raced against it too. Where the context ended the call, the error is
//! [`Error::Context`] with the context's [`crate::Error`].
//!
//! ```no_run
//! use context_core::reqwest::RequestBuilderExt;
//! # async fn f(ctx: &context_core::Context) -> Result<(), context_core::reqwest::Error> {
//! let client = reqwest::Client::new();
//! let body = client
//!     .get("http://127.0.0.1:8080/search?q=rust")
//!     .context(ctx)
//!     .send()
//!     .await?
//!     .text()
//!     .await?;
//! # let _ = body; Ok(()) }
//! ```

use std::fmt;

use crate::http::inject_deadline;
use crate::Context;

/// Why a call with a context failed.
#[derive(Debug)]
pub enum Error {
    /// The context ended first (or already had): nothing more was sent or
    /// read.
    Context(crate::Error),
    /// reqwest failed on its own.
    Reqwest(reqwest::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Context(e) => fmt::Display::fmt(e, f),
            Error::Reqwest(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Context(e) => Some(e),
            Error::Reqwest(e) => Some(e),
        }
    }
}

impl From<crate::Error> for Error {
    fn from(e: crate::Error) -> Self {
        Error::Context(e)
    }
}

impl From<reqwest::Error> for Error {
    fn from(e: reqwest::Error) -> Self {
        Error::Reqwest(e)
    }
}

impl Error {
    /// The context's error, if the context ended the call.
    pub fn context(&self) -> Option<crate::Error> {
        match self {
            Error::Context(e) => Some(*e),
            Error::Reqwest(_) => None,
        }
    }
}

/// `.context(&ctx)` on a `reqwest::RequestBuilder`.
pub trait RequestBuilderExt {
    /// The request, to be sent with `ctx`: see the [module docs](self).
    fn context(self, ctx: &Context) -> ContextRequest;
}

impl RequestBuilderExt for reqwest::RequestBuilder {
    fn context(self, ctx: &Context) -> ContextRequest {
        ContextRequest {
            builder: self,
            ctx: ctx.clone(),
        }
    }
}

/// A request that carries its context; [`send`](ContextRequest::send) it.
// It holds the context only until it is sent.
// ctx-lint: allow(ctx-in-struct)
#[derive(Debug)]
pub struct ContextRequest {
    builder: reqwest::RequestBuilder,
    ctx: Context,
}

impl ContextRequest {
    /// Sends the request with the context's remaining time as
    /// `grpc-timeout`, raced against the context. Nothing is sent when the
    /// context is done or its deadline spent.
    pub async fn send(self) -> Result<ContextResponse, Error> {
        let ContextRequest { builder, ctx } = self;
        let (client, request) = builder.build_split();
        let mut request = request?;
        inject_deadline(&ctx, request.headers_mut())?;
        let response = ctx.run(client.execute(request)).await??;
        Ok(ContextResponse {
            inner: response,
            ctx,
        })
    }
}

/// A response whose body is read raced against the request's context.
// It holds the context until the body is read.
// ctx-lint: allow(ctx-in-struct)
#[derive(Debug)]
pub struct ContextResponse {
    inner: reqwest::Response,
    ctx: Context,
}

impl ContextResponse {
    /// The status code.
    pub fn status(&self) -> reqwest::StatusCode {
        self.inner.status()
    }

    /// The headers.
    pub fn headers(&self) -> &reqwest::header::HeaderMap {
        self.inner.headers()
    }

    /// The whole body, raced against the context.
    pub async fn bytes(self) -> Result<bytes::Bytes, Error> {
        Ok(self.ctx.run(self.inner.bytes()).await??)
    }

    /// The whole body as text, raced against the context.
    pub async fn text(self) -> Result<String, Error> {
        Ok(self.ctx.run(self.inner.text()).await??)
    }

    /// The next chunk of the body, raced against the context.
    pub async fn chunk(&mut self) -> Result<Option<bytes::Bytes>, Error> {
        Ok(self.ctx.run(self.inner.chunk()).await??)
    }

    /// reqwest's response, no longer raced.
    pub fn into_inner(self) -> reqwest::Response {
        self.inner
    }
}
