//! `LiveContexts`: the live view over HTTP (features `inspect` and `http`).

use std::convert::Infallible;
use std::future::{ready, Ready};
use std::task::{Context as TaskContext, Poll};

use http::{header, HeaderValue, Request, Response};
use tower_service::Service;

/// A tower service that answers every request with the text of a fresh
/// [`snapshot`](super::snapshot) of the live contexts: mount it at
/// `/debug/contexts`, behind whatever guards your other debug endpoints.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use context::inspect::LiveContexts;
/// use tower_service::Service;
///
/// // With axum: Router::new().route_service("/debug/contexts", LiveContexts)
/// let (_ctx, _cancel) = context::Context::background().with_cancel();
/// let resp = LiveContexts.call(http::Request::new(())).await.unwrap();
/// assert!(resp.body().contains(file!()));
/// # }
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct LiveContexts;

impl<B> Service<Request<B>> for LiveContexts {
    type Response = Response<String>;
    type Error = Infallible;
    type Future = Ready<Result<Response<String>, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut TaskContext<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _req: Request<B>) -> Self::Future {
        let mut resp = Response::new(format!("{}\n", super::snapshot()));
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        ready(Ok(resp))
    }
}
