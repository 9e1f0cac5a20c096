//! `context::http` over real HTTP on loopback: per-request contexts from
//! `ContextLayer` (deadline header, clamps, rejections, disconnects over
//! HTTP/1 and HTTP/2, streaming bodies) and deadlines that cross processes
//! with `PropagateLayer`.

mod support;

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context as TaskCx, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use context::http::{ContextLayer, Disconnected, PropagateLayer};
use context::{Context, Error};
use http::{Request, StatusCode};
use http_body::Frame;
use http_body_util::Full;
use support::{body_text, call, client, serve};
use tokio::sync::mpsc;

const EVENTUALLY: Duration = Duration::from_secs(10);

fn get_req(addr: std::net::SocketAddr, path: &str) -> http::request::Builder {
    Request::get(format!("http://{addr}{path}"))
}

/// A handler that reports how long its context has left.
async fn remaining(ctx: Context) -> String {
    match ctx.deadline() {
        Some(d) => d
            .saturating_duration_since(Instant::now())
            .as_millis()
            .to_string(),
        None => "none".into(),
    }
}

#[tokio::test]
async fn deadline_from_header_clamped_by_max_default_when_absent() {
    let app = Router::new().route("/", get(remaining)).layer(
        ContextLayer::new(Context::background())
            .default_timeout(Duration::from_secs(5))
            .max_timeout(Duration::from_secs(30)),
    );
    let addr = serve(app).await;
    let left = |r: http::Response<hyper::body::Incoming>| async move {
        body_text(r.into_body()).await.parse::<u64>().unwrap()
    };

    let ms = left(get_with(addr, &[("grpc-timeout", "2S")]).await).await;
    assert!((1000..=2000).contains(&ms), "{ms}");

    let ms = left(get_with(addr, &[("grpc-timeout", "90M")]).await).await;
    assert!((29_000..=30_000).contains(&ms), "clamped to the max: {ms}");

    let ms = left(get_with(addr, &[]).await).await;
    assert!((4000..=5000).contains(&ms), "the default: {ms}");
}

/// A server whose handler only counts its calls, behind `ContextLayer`.
async fn counting_server() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let c2 = calls.clone();
    let app = Router::new()
        .route(
            "/",
            get(move || async move {
                c2.fetch_add(1, Ordering::SeqCst);
                "called"
            }),
        )
        .layer(ContextLayer::new(Context::background()));
    (serve(app).await, calls)
}

/// GET `/` with `headers`.
async fn get_with(
    addr: std::net::SocketAddr,
    headers: &[(&str, &str)],
) -> http::Response<hyper::body::Incoming> {
    let mut req = get_req(addr, "/");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    client(false)
        .request(req.body(Full::default()).unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn malformed_header_is_rejected_with_a_reason_and_never_reaches_the_handler() {
    let (addr, calls) = counting_server().await;
    let r = get_with(addr, &[("grpc-timeout", "12x")]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let text = body_text(r.into_body()).await;
    assert!(
        text.contains("malformed grpc-timeout") && text.contains("'x'"),
        "{text}"
    );

    let r = get_with(
        addr,
        &[
            ("grpc-timeout", "123456789S"),
            ("content-type", "application/grpc"),
        ],
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "gRPC reports errors in grpc-status"
    );
    assert_eq!(r.headers()["grpc-status"], "13");
    assert!(r.headers()["grpc-message"]
        .to_str()
        .unwrap()
        .contains("more than 8 digits"));
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_spent_deadline_is_answered_504_without_calling_the_handler() {
    let (addr, calls) = counting_server().await;
    let r = get_with(addr, &[("grpc-timeout", "0n")]).await;
    assert_eq!(r.status(), StatusCode::GATEWAY_TIMEOUT);
    let r = get_with(
        addr,
        &[
            ("grpc-timeout", "0m"),
            ("content-type", "application/grpc+proto"),
        ],
    )
    .await;
    assert_eq!(r.headers()["grpc-status"], "4");
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

struct DropFlag(Arc<AtomicBool>);
impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn the_deadline_drops_the_handler_and_answers_504() {
    let dropped = Arc::new(AtomicBool::new(false));
    let (tx, mut rx) = mpsc::unbounded_channel::<Context>();
    let d2 = dropped.clone();
    let app = Router::new()
        .route(
            "/",
            get(move |ctx: Context| async move {
                let _flag = DropFlag(d2);
                tx.send(ctx).unwrap();
                std::future::pending::<&'static str>().await // ignores its context
            }),
        )
        .layer(ContextLayer::new(Context::background()));
    let addr = serve(app).await;
    let r = client(false)
        .request(
            get_req(addr, "/")
                .header("grpc-timeout", "50m")
                .body(Full::default())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::GATEWAY_TIMEOUT);
    assert!(
        dropped.load(Ordering::SeqCst),
        "the handler future was dropped"
    );
    let ctx = rx.recv().await.unwrap();
    assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
}

#[tokio::test]
async fn missing_layer_is_a_clear_500() {
    let app = Router::new().route("/", get(|_ctx: Context| async { "unreachable" }));
    let addr = serve(app).await;
    let r = client(false)
        .request(get_req(addr, "/").body(Full::default()).unwrap())
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(body_text(r.into_body()).await.contains("ContextLayer"));
}

async fn disconnect(http2: bool) {
    let (tx, mut rx) = mpsc::unbounded_channel::<Context>();
    let app = Router::new()
        .route(
            "/",
            get(move |ctx: Context| async move {
                tx.send(ctx.clone()).unwrap();
                ctx.done().await;
                "unreachable"
            }),
        )
        .layer(ContextLayer::new(Context::background()));
    let addr = serve(app).await;
    let c = client(http2);
    let req = get_req(addr, "/").body(Full::default()).unwrap();
    let pending = tokio::spawn(async move { c.request(req).await });
    let ctx = tokio::time::timeout(EVENTUALLY, rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(!ctx.is_done());
    pending.abort(); // the client goes away mid-request
    tokio::time::timeout(EVENTUALLY, ctx.done())
        .await
        .expect("the handler's context never ended");
    assert_eq!(ctx.err(), Some(Error::Canceled));
    assert!(
        ctx.cause()
            .unwrap()
            .downcast_ref::<Disconnected>()
            .is_some(),
        "{:?}",
        ctx.cause()
    );
}

#[tokio::test]
async fn client_disconnect_ends_the_context_over_http1() {
    disconnect(false).await;
}

#[tokio::test]
async fn client_disconnect_ends_the_context_over_http2() {
    disconnect(true).await;
}

/// A body fed by a channel: the test decides when each chunk and the end come.
struct ChannelBody(mpsc::UnboundedReceiver<Bytes>);

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut TaskCx<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0.poll_recv(cx).map(|c| c.map(|b| Ok(Frame::data(b))))
    }
}

#[tokio::test]
async fn a_streaming_body_keeps_its_context_until_the_last_frame() {
    let (ctx_tx, mut ctx_rx) = mpsc::unbounded_channel::<Context>();
    let (chunk_tx, chunk_rx) = mpsc::unbounded_channel::<Bytes>();
    let chunk_rx = Arc::new(std::sync::Mutex::new(Some(chunk_rx)));
    let app = Router::new()
        .route(
            "/",
            get(move |ctx: Context| async move {
                ctx_tx.send(ctx).unwrap();
                let rx = chunk_rx.lock().unwrap().take().unwrap();
                Body::new(ChannelBody(rx)) // the handler returns; the body streams on
            }),
        )
        .layer(ContextLayer::new(Context::background()));
    let addr = serve(app).await;
    let resp = client(false)
        .request(get_req(addr, "/").body(Full::default()).unwrap())
        .await
        .unwrap();
    let ctx = ctx_rx.recv().await.unwrap();
    let mut body = resp.into_body();
    chunk_tx.send(Bytes::from_static(b"first ")).unwrap();
    let frame = http_body_util::BodyExt::frame(&mut body)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(frame.into_data().unwrap(), "first ");
    assert!(
        !ctx.is_done(),
        "the handler returned, but its body still streams"
    );
    chunk_tx.send(Bytes::from_static(b"last")).unwrap();
    drop(chunk_tx);
    assert_eq!(body_text(body).await, "last");
    tokio::time::timeout(EVENTUALLY, ctx.done()).await.unwrap();
    assert!(
        ctx.cause().unwrap().downcast_ref::<Error>().is_some(),
        "finished normally, not a disconnect"
    );
}

// ---- deadlines across processes: client -> A -> B -------------------------

/// Workers spawned by the handlers: `live` counts the ones running, `ticks`
/// counts their work; each stops when its context ends.
#[derive(Default)]
struct Work {
    live: AtomicUsize,
    ticks: AtomicUsize,
    all_stopped: tokio::sync::Notify,
    last_stop: std::sync::Mutex<Option<Instant>>,
}

struct Live(Arc<Work>);
impl Drop for Live {
    fn drop(&mut self) {
        *self.0.last_stop.lock().unwrap() = Some(Instant::now());
        if self.0.live.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.all_stopped.notify_one();
        }
    }
}

fn spawn_worker(ctx: Context, work: Arc<Work>) {
    work.live.fetch_add(1, Ordering::SeqCst);
    tokio::spawn(async move {
        let _live = Live(work.clone());
        while ctx
            .run(tokio::time::sleep(Duration::from_millis(2)))
            .await
            .is_ok()
        {
            work.ticks.fetch_add(1, Ordering::SeqCst);
        }
    });
}

/// B: starts a worker, reports the deadline it saw (after the worker counts
/// as live, so the test may count on it), then waits on a slow backend.
async fn hop_b(
    ctx: Context,
    work: Arc<Work>,
    seen: mpsc::UnboundedSender<Option<Duration>>,
) -> Result<String, Error> {
    let left = ctx
        .deadline()
        .map(|d| d.saturating_duration_since(Instant::now()));
    spawn_worker(ctx.clone(), work);
    seen.send(left).unwrap();
    ctx.run(tokio::time::sleep(Duration::from_secs(30))).await?;
    Ok("b done".into())
}

/// A: starts a worker, then calls B with its own context.
async fn hop_a(ctx: Context, b: std::net::SocketAddr, work: Arc<Work>) -> Result<String, Error> {
    spawn_worker(ctx.clone(), work);
    let mut svc = tower_layer::Layer::layer(&PropagateLayer, client(false));
    let mut req = get_req(b, "/").body(Full::default()).unwrap();
    req.extensions_mut().insert(ctx.clone());
    match call(&mut svc, req).await {
        Ok(r) => Ok(body_text(r.into_body()).await),
        Err(_) => Err(ctx.err().unwrap_or(Error::Canceled)),
    }
}

async fn chain(
    work: Arc<Work>,
) -> (
    std::net::SocketAddr,
    mpsc::UnboundedReceiver<Option<Duration>>,
) {
    let (seen_tx, seen_rx) = mpsc::unbounded_channel();
    let wb = work.clone();
    let b = serve(
        Router::new()
            .route(
                "/",
                get(move |ctx: Context| hop_b(ctx, wb.clone(), seen_tx.clone())),
            )
            .layer(ContextLayer::new(Context::background())),
    )
    .await;
    let wa = work.clone();
    let a = serve(
        Router::new()
            .route("/", get(move |ctx: Context| hop_a(ctx, b, wa.clone())))
            .layer(ContextLayer::new(Context::background())),
    )
    .await;
    (a, seen_rx)
}

/// Negative control: work that ignores every context keeps ticking.
fn control(stop: Arc<AtomicBool>) -> (Arc<AtomicUsize>, Arc<tokio::sync::Notify>) {
    let ticks = Arc::new(AtomicUsize::new(0));
    let tick = Arc::new(tokio::sync::Notify::new());
    let (t, n) = (ticks.clone(), tick.clone());
    tokio::spawn(async move {
        for _ in 0..5_000 {
            if stop.load(Ordering::SeqCst) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
            t.fetch_add(1, Ordering::SeqCst);
            n.notify_one();
        }
    });
    (ticks, tick)
}

async fn control_still_runs(ticks: &AtomicUsize, tick: &tokio::sync::Notify) {
    let before = ticks.load(Ordering::SeqCst);
    tokio::time::timeout(EVENTUALLY, async {
        while ticks.load(Ordering::SeqCst) < before + 2 {
            tick.notified().await;
        }
    })
    .await
    .expect("the control stopped too: the test could not tell");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadline_travels_client_a_b_and_stops_every_hop() {
    let work = Arc::new(Work::default());
    let (a, mut seen) = chain(work.clone()).await;
    let stop = Arc::new(AtomicBool::new(false));
    let (control_ticks, control_tick) = control(stop.clone());

    let (ctx, _cancel) = Context::background().with_timeout(Duration::from_millis(200));
    let deadline = ctx.deadline().unwrap();
    let mut svc = tower_layer::Layer::layer(&PropagateLayer, client(false));
    let mut req = get_req(a, "/").body(Full::default()).unwrap();
    req.extensions_mut().insert(ctx.clone());
    let result = call(&mut svc, req).await;
    let err = result.expect_err("the client's own deadline ends the call");
    assert_eq!(
        err.downcast_ref::<Error>(),
        Some(&Error::DeadlineExceeded),
        "{err}"
    );

    let b_saw = seen.recv().await.unwrap().expect("B got no deadline");
    assert!(
        b_saw <= Duration::from_millis(200) && b_saw > Duration::from_millis(100),
        "{b_saw:?}"
    );

    tokio::time::timeout(EVENTUALLY, async {
        while work.live.load(Ordering::SeqCst) > 0 {
            work.all_stopped.notified().await;
        }
    })
    .await
    .expect("spawned work outlived the deadline");
    let stopped_at = work.last_stop.lock().unwrap().unwrap();
    let late = stopped_at.saturating_duration_since(deadline);
    assert!(
        late < Duration::from_millis(100),
        "stopped {late:?} after the deadline"
    );
    let ticks = work.ticks.load(Ordering::SeqCst);
    control_still_runs(&control_ticks, &control_tick).await;
    assert_eq!(
        work.ticks.load(Ordering::SeqCst),
        ticks,
        "counters still moving"
    );
    stop.store(true, Ordering::SeqCst);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_call_stops_every_hop() {
    let work = Arc::new(Work::default());
    let (a, mut seen) = chain(work.clone()).await;
    let stop = Arc::new(AtomicBool::new(false));
    let (control_ticks, control_tick) = control(stop.clone());

    let (ctx, _cancel) = Context::background().with_timeout(Duration::from_secs(30));
    let mut req = get_req(a, "/").body(Full::default()).unwrap();
    req.extensions_mut().insert(ctx.clone());
    let call_task = tokio::spawn(async move {
        let mut svc = tower_layer::Layer::layer(&PropagateLayer, client(false));
        call(&mut svc, req).await.map(|_| ())
    });
    seen.recv().await.unwrap(); // B is working
    assert_eq!(work.live.load(Ordering::SeqCst), 2);
    let dropped_at = Instant::now();
    call_task.abort(); // the client hangs up
    tokio::time::timeout(EVENTUALLY, async {
        while work.live.load(Ordering::SeqCst) > 0 {
            work.all_stopped.notified().await;
        }
    })
    .await
    .expect("spawned work outlived the dropped call");
    let late = work
        .last_stop
        .lock()
        .unwrap()
        .unwrap()
        .saturating_duration_since(dropped_at);
    assert!(
        late < Duration::from_millis(100),
        "stopped {late:?} after the hang-up"
    );
    control_still_runs(&control_ticks, &control_tick).await;
    stop.store(true, Ordering::SeqCst);
}

#[tokio::test]
async fn a_spent_deadline_is_not_sent() {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let addr = serve(Router::new().route(
        "/",
        get(move || async move {
            h.fetch_add(1, Ordering::SeqCst);
            ""
        }),
    ))
    .await;
    let (ctx, _cancel) =
        Context::background().with_deadline(Instant::now() - Duration::from_millis(1));
    let mut svc = tower_layer::Layer::layer(&PropagateLayer, client(false));
    let mut req = get_req(addr, "/").body(Full::default()).unwrap();
    req.extensions_mut().insert(ctx);
    let err = call(&mut svc, req).await.unwrap_err();
    assert_eq!(err.downcast_ref::<Error>(), Some(&Error::DeadlineExceeded));
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the call was sent anyway");
}

/// C14 through `PropagateLayer`: a cancel of the call's context ends the
/// call at once, even while the server has not answered and never will
/// (the call is not woken by the server, only by the cancel).
#[tokio::test]
async fn cancelling_the_context_ends_a_call_the_server_never_answers() {
    let (tx, mut rx) = mpsc::unbounded_channel::<()>();
    let app = Router::new().route(
        "/",
        get(move || async move {
            tx.send(()).unwrap();
            std::future::pending::<&'static str>().await
        }),
    );
    let addr = serve(app).await;
    let (ctx, cancel) = Context::background().with_cancel();
    let mut req = get_req(addr, "/").body(Full::default()).unwrap();
    req.extensions_mut().insert(ctx);
    let call_task = tokio::spawn(async move {
        let mut svc = tower_layer::Layer::layer(&PropagateLayer, client(false));
        call(&mut svc, req).await.map(|_| ())
    });
    rx.recv().await.expect("the handler runs"); // the call is in flight
    cancel.cancel();
    let err = tokio::time::timeout(EVENTUALLY, call_task)
        .await
        .expect("the cancel did not end the pending call")
        .unwrap()
        .unwrap_err();
    assert_eq!(err.downcast_ref::<Error>(), Some(&Error::Canceled), "{err}");
}
