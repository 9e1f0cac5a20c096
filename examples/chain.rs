//! A deadline that crosses processes: client -> service A -> service B, on
//! loopback. The client's 300 ms budget travels as `grpc-timeout`; A spends
//! some of it and B sees what is left; when it runs out, every hop stops.
//!
//! Run it with `cargo run --example chain`.

use std::future::poll_fn;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use context::http::{ContextLayer, PropagateLayer};
use context::{Context, Error};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tower_service::Service;

/// Calls `url` with `ctx`'s deadline; drops the call if `ctx` ends first.
async fn call(ctx: &Context, url: String) -> Result<String, String> {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut svc = tower_layer::Layer::layer(&PropagateLayer, client);
    let mut req = http::Request::get(url).body(Full::default()).unwrap();
    req.extensions_mut().insert(ctx.clone());
    poll_fn(|cx| svc.poll_ready(cx))
        .await
        .map_err(|e| e.to_string())?;
    let resp = svc.call(req).await.map_err(|e| e.to_string())?;
    let status = resp.status();
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok(format!(
        "{status} {}",
        String::from_utf8_lossy(&body).trim()
    ))
}

fn left(ctx: &Context) -> String {
    ctx.deadline().map_or("no deadline".into(), |d| {
        format!(
            "{} ms left",
            d.saturating_duration_since(Instant::now()).as_millis()
        )
    })
}

/// B: slow work, bounded by whatever deadline arrived with the request.
async fn service_b(ctx: Context) -> Result<String, Error> {
    println!("  B: got the request with {}", left(&ctx));
    ctx.run(tokio::time::sleep(Duration::from_millis(150)))
        .await?;
    Ok("B: done".into())
}

/// A: some work of its own, then a call to B with the same context.
async fn service_a(ctx: Context, b: SocketAddr) -> Result<String, Error> {
    println!("  A: got the request with {}", left(&ctx));
    ctx.run(tokio::time::sleep(Duration::from_millis(100)))
        .await?;
    println!("  A: calling B with {}", left(&ctx));
    match call(&ctx, format!("http://{b}/")).await {
        Ok(body) => Ok(format!("A: B said {body:?}")),
        Err(e) => Ok(format!("A: B failed: {e}")),
    }
}

async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

#[tokio::main]
async fn main() {
    let layer = ContextLayer::new(Context::background());
    let b = serve(
        Router::new()
            .route("/", get(service_b))
            .layer(layer.clone()),
    )
    .await;
    let a = serve(
        Router::new()
            .route("/", get(move |ctx: Context| service_a(ctx, b)))
            .layer(layer),
    )
    .await;

    for budget in [500, 200] {
        let (ctx, _cancel) = Context::background().with_timeout(Duration::from_millis(budget));
        println!("client: calling A with a {budget} ms budget");
        match call(&ctx, format!("http://{a}/")).await {
            Ok(body) => println!("client: {body}\n"),
            Err(e) => println!("client: gave up: {e}\n"),
        }
    }
}
