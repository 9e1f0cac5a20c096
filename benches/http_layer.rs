//! `ContextLayer`'s overhead per request: the same axum app with and
//! without the layer, on loopback, one keep-alive HTTP/1 connection,
//! measured in the same run. Figures: `context-core/benches/README.md`.
#![allow(missing_docs)]

use std::time::{Duration, Instant};

use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use context::http::ContextLayer;
use context::Context;
use criterion::{criterion_group, criterion_main, Criterion};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

async fn serve(app: Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

async fn handler(ctx: Option<axum::Extension<Context>>) -> &'static str {
    // Both apps run the same handler; with the layer it finds a context.
    std::hint::black_box(ctx.map(|c| c.0.is_done()));
    "ok"
}

fn layer_overhead(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (plain, layered) = rt.block_on(async {
        let plain = serve(Router::new().route("/", get(handler))).await;
        let layered = serve(Router::new().route("/", get(handler)).layer(
            ContextLayer::new(Context::background()).default_timeout(Duration::from_secs(30)),
        ))
        .await;
        (plain, layered)
    });
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    // Times requests to `timed`, each followed by an untimed one to `other`:
    // both variants are measured under the same conditions (run order and
    // drift otherwise moved the figures by more than the layer costs).
    let run = |timed: std::net::SocketAddr, other: std::net::SocketAddr, iters: u64| {
        let client = client.clone();
        rt.block_on(async move {
            let get = |addr: std::net::SocketAddr| {
                let client = client.clone();
                async move {
                    let uri: http::Uri = format!("http://{addr}/").parse().unwrap();
                    let resp = client.get(uri).await.unwrap();
                    let body = resp.into_body().collect().await.unwrap().to_bytes();
                    assert_eq!(&body[..], b"ok");
                }
            };
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                get(timed).await;
                spent += start.elapsed();
                get(other).await;
            }
            spent
        })
    };
    let mut g = c.benchmark_group("http_request_loopback");
    g.bench_function("axum", |b| b.iter_custom(|n| run(plain, layered, n)));
    g.bench_function("axum_with_context_layer", |b| {
        b.iter_custom(|n| run(layered, plain, n))
    });
    g.finish();
}

/// The same two apps called in-process (no sockets): the layer's own cost
/// per request, without the loopback network's noise.
fn layer_in_process(c: &mut Criterion) {
    use tower_service::Service;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut plain = Router::new().route("/", get(handler));
    let mut layered = Router::new()
        .route("/", get(handler))
        .layer(ContextLayer::new(Context::background()).default_timeout(Duration::from_secs(30)));
    let mut g = c.benchmark_group("http_request_in_process");
    g.bench_function("axum", |b| {
        b.iter(|| {
            rt.block_on(async {
                let req = http::Request::get("/")
                    .body(axum::body::Body::empty())
                    .unwrap();
                let resp = plain.call(req).await.unwrap();
                resp.into_body().collect().await.unwrap()
            })
        })
    });
    g.bench_function("axum_with_context_layer", |b| {
        b.iter(|| {
            rt.block_on(async {
                let req = http::Request::get("/")
                    .body(axum::body::Body::empty())
                    .unwrap();
                let resp = layered.call(req).await.unwrap();
                resp.into_body().collect().await.unwrap()
            })
        })
    });
    let mut no_deadline = Router::new()
        .route("/", get(handler))
        .layer(ContextLayer::new(Context::background()));
    g.bench_function("axum_with_context_layer_no_deadline", |b| {
        b.iter(|| {
            rt.block_on(async {
                let req = http::Request::get("/")
                    .body(axum::body::Body::empty())
                    .unwrap();
                let resp = no_deadline.call(req).await.unwrap();
                resp.into_body().collect().await.unwrap()
            })
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = layer_in_process, layer_overhead
}
criterion_main!(benches);
