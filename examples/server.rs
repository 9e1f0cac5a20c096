//! The main example: an HTTP search service in the shape of the Go blog's
//! `handleSearch`, where every request has a context.
//!
//! - `ContextLayer` gives each request a context: it ends when the client
//!   hangs up, when its deadline passes (from a `grpc-timeout` header,
//!   clamped to 5 s, 2 s by default) or when the server stops it.
//! - `GET /search?q=..&timeout=..` narrows that deadline further, fans out to
//!   three backends with the request's context, and answers with whatever
//!   finished in time (the layer's `deadline_grace` lets it answer just
//!   after the deadline). Backends that are too slow stop at once: they are
//!   `#[ctx_aware]`, so each of their awaits is raced against the context.
//!   A missing `q` or a malformed or out-of-range `timeout` is a `400`.
//! - SIGINT/SIGTERM: stop accepting, give in-flight requests a grace period,
//!   then cancel them (two contexts, see `context::signal`).
//! - Why did it stop? A request whose context ends before it has answered
//!   (its deadline, a client that hung up) logs `ctx.why()`: which context
//!   ended, made at which line, and how. `GET /debug/contexts` lists the
//!   live contexts (`context::inspect`, feature `inspect`).
//!
//! Run it with `cargo run --example server`, then try the curl line it
//! prints. `cargo run --example server -- --self-test` sends a few requests
//! to itself, then a SIGINT, and exits.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::extract::Query;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use context::http::ContextLayer;
use context::inspect::LiveContexts;
use context::signal::{notify_context, Signal};
use context::{ctx_aware, Context, Error};
use serde_like::SearchParams;

/// Query parsing without serde: `q` and `timeout` (`250ms`, `2s`).
mod serde_like {
    use std::collections::HashMap;
    use std::time::Duration;

    pub struct SearchParams {
        pub q: String,
        pub timeout: Option<Duration>,
    }

    impl SearchParams {
        pub fn parse(raw: &HashMap<String, String>) -> Result<Self, String> {
            let q = raw.get("q").cloned().ok_or("missing ?q=")?;
            if q.trim().is_empty() {
                return Err("empty ?q=".into());
            }
            let timeout = raw.get("timeout").map(|t| parse_duration(t)).transpose()?;
            if let Some(t) = timeout {
                if t.is_zero() || t > Duration::from_secs(60) {
                    return Err(format!("timeout {t:?} out of range: 1ms to 60s"));
                }
            }
            Ok(SearchParams { q, timeout })
        }
    }

    fn parse_duration(s: &str) -> Result<Duration, String> {
        let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
        let n: u64 = n
            .parse()
            .map_err(|_| format!("bad timeout {s:?}: use 250ms or 2s"))?;
        match unit {
            "ms" => Ok(Duration::from_millis(n)),
            "s" | "" => Ok(Duration::from_secs(n)),
            _ => Err(format!("bad timeout unit in {s:?}: use ms or s")),
        }
    }
}

/// One search backend: answers after its own latency, unless the context
/// ends first (then this fn returns `Err` at that `.await`).
#[ctx_aware]
async fn backend(name: &'static str, latency: Duration, q: String) -> Result<String, Error> {
    tokio::time::sleep(latency).await;
    Ok(format!(
        "{name}: 3 results for {q:?} ({} ms)",
        latency.as_millis()
    ))
}

/// Fans out to three backends with the request's context (narrowed by
/// `?timeout=`), and reports what finished in time. A missing `q` or a bad
/// `timeout` is a `400` with the reason.
async fn search(
    ctx: Context,
    Query(raw): Query<std::collections::HashMap<String, String>>,
) -> Result<String, (StatusCode, String)> {
    let params = SearchParams::parse(&raw).map_err(|e| (StatusCode::BAD_REQUEST, e + "\n"))?;
    let (ctx, _cancel) = match params.timeout {
        Some(t) => ctx.with_timeout(t),
        None => ctx.with_cancel(),
    };
    // Runs if the context ends before this handler has answered: at the
    // deadline, or when the client hangs up (then the handler is dropped).
    let report = ctx.clone();
    let cut_short = ctx.after_func(move || {
        if let Some(why) = report.why() {
            println!("[server] /search cut short: {why}");
        }
    });
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (name, ms) in [("web", 80), ("images", 250), ("news", 600)] {
        let (ctx, q) = (ctx.clone(), params.q.clone());
        tasks.spawn(async move {
            (
                name,
                backend(&ctx, name, Duration::from_millis(ms), q).await,
            )
        });
    }
    let mut lines = Vec::new();
    while let Some(Ok((name, r))) = tasks.join_next().await {
        lines.push(match r {
            Ok(line) => line,
            Err(e) => format!("{name}: skipped ({e})"),
        });
    }
    cut_short.stop();
    lines.sort();
    lines.push(format!("took {} ms", started.elapsed().as_millis()));
    Ok(lines.join("\n") + "\n")
}

async fn bind() -> tokio::net::TcpListener {
    match tokio::net::TcpListener::bind("127.0.0.1:8080").await {
        Ok(l) => l,
        Err(_) => tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port"),
    }
}

async fn self_test(addr: SocketAddr) {
    use http_body_util::{BodyExt, Full};
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<bytes::Bytes>>();
    let requests = [
        ("/search?q=rust", None),
        ("/search?q=rust&timeout=300ms", None),
        ("/search?q=rust", Some("100m")),
        ("/search?q=rust", Some("ten seconds")),
        ("/search", None),
        ("/search?q=rust&timeout=ten", None),
        ("/search?q=rust&timeout=90s", None),
    ];
    for (path, header) in requests {
        let mut req = http::Request::get(format!("http://{addr}{path}"));
        if let Some(h) = header {
            req = req.header("grpc-timeout", h);
        }
        let resp = client
            .request(req.body(Full::default()).unwrap())
            .await
            .expect("request");
        let status = resp.status();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        println!(
            "--- GET {path} (grpc-timeout: {}) -> {status}",
            header.unwrap_or("none")
        );
        print!("{}", String::from_utf8_lossy(&body));
    }
    // A client that gives up after 150 ms: the server's handler is dropped
    // and its context ends with `Disconnected`.
    let req = http::Request::get(format!("http://{addr}/search?q=rust"));
    let gave_up = tokio::time::timeout(
        Duration::from_millis(150),
        client.request(req.body(Full::default()).unwrap()),
    )
    .await;
    println!("--- GET /search?q=rust, the client hangs up after 150 ms");
    assert!(gave_up.is_err(), "the search takes 600 ms");
    // The live view, while one slow request is in flight.
    let slow = client.request(
        http::Request::get(format!("http://{addr}/search?q=slow"))
            .body(Full::default())
            .unwrap(),
    );
    let (slow, view) = tokio::join!(slow, async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let resp = client
            .request(
                http::Request::get(format!("http://{addr}/debug/contexts"))
                    .body(Full::default())
                    .unwrap(),
            )
            .await
            .expect("request");
        resp.into_body().collect().await.unwrap().to_bytes()
    });
    slow.expect("the slow request");
    println!("--- GET /debug/contexts (while /search?q=slow runs)");
    print!("{}", String::from_utf8_lossy(&view));
    println!("--- sending SIGINT to myself");
    let pid = std::process::id().to_string();
    std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill");
}

#[tokio::main]
async fn main() {
    let self_testing = std::env::args().any(|a| a == "--self-test");

    // The base of every request: cancelled a grace period after a signal.
    let (requests, stop_requests) = Context::background().with_cancel();
    // Ends on the first SIGINT/SIGTERM: stop accepting.
    let (shutdown, _stop_watching) = notify_context(
        &Context::background(),
        &[Signal::Interrupt, Signal::Terminate],
    );

    let app = Router::new()
        .route("/search", get(search))
        .layer(
            ContextLayer::new(requests)
                .default_timeout(Duration::from_secs(2))
                .max_timeout(Duration::from_secs(5))
                // At the deadline the handler's context ends (the slow backends
                // stop at once) and it has 50 ms to answer with what it has.
                .deadline_grace(Duration::from_millis(50)),
        )
        // Outside the layer: the view has no context of its own.
        .route_service("/debug/contexts", LiveContexts);
    let listener = bind().await;
    let addr = listener.local_addr().unwrap();
    println!("listening on http://{addr}");
    println!("try: curl 'http://{addr}/search?q=rust&timeout=300ms'");
    println!("stop with Ctrl-C");

    if self_testing {
        tokio::spawn(self_test(addr));
    }
    let drain = shutdown.clone();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { drain.done().await })
            .await
    });

    shutdown.done().await;
    println!(
        "{}: draining for up to 2 s",
        shutdown.cause().map(|c| c.to_string()).unwrap_or_default()
    );
    // axum's graceful shutdown never cancels in-flight handlers: after the
    // grace period, the base context does.
    if tokio::time::timeout(Duration::from_secs(2), server)
        .await
        .is_err()
    {
        stop_requests.cancel();
        println!("grace period over: in-flight requests cancelled");
    }
    println!("stopped");
}
