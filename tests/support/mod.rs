//! Shared by the HTTP tests and benches: a loopback server and a client.
#![allow(dead_code)]

use std::future::poll_fn;
use std::net::SocketAddr;

use axum::Router;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use tower_service::Service;

pub type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// Serves `app` on 127.0.0.1 (an OS-chosen port) in a background task.
pub async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

pub fn client(http2: bool) -> HttpClient {
    Client::builder(TokioExecutor::new())
        .http2_only(http2)
        .build_http()
}

/// `poll_ready` then `call`, as tower's `oneshot` does.
pub async fn call<S, R>(svc: &mut S, req: R) -> Result<S::Response, S::Error>
where
    S: Service<R>,
{
    poll_fn(|cx| svc.poll_ready(cx)).await?;
    svc.call(req).await
}

pub async fn body_text<B: http_body::Body>(b: B) -> String
where
    B::Error: std::fmt::Debug,
{
    String::from_utf8(b.collect().await.unwrap().to_bytes().to_vec()).unwrap()
}
