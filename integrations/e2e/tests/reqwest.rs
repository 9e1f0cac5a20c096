//! The reqwest integration end to end (issue 12): `RequestBuilder::context`
//! against an axum server behind `ContextLayer`, on loopback.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::routing::get;
use axum::Router;
use context::http::{ContextLayer, Disconnected};
use context::reqwest::RequestBuilderExt;
use context::{Context, Error};
use tokio::sync::{mpsc, Notify};

#[derive(Default)]
struct Server {
    calls: AtomicUsize,
    arrived: Notify,
    ended: Notify,
    disconnected: AtomicUsize,
}

/// `/left`: the request's remaining time in ms. `/hang`: waits on its
/// context, and records when it ended by a hang-up. `/drip`: headers at
/// once, then a body that never ends.
async fn serve(state: Arc<Server>) -> SocketAddr {
    let s1 = state.clone();
    let s2 = state.clone();
    let app = Router::new()
        .route(
            "/left",
            get(move |ctx: Context| async move {
                s1.calls.fetch_add(1, Ordering::SeqCst);
                ctx.remaining()
                    .map_or("none".to_string(), |d| d.as_millis().to_string())
            }),
        )
        .route(
            "/hang",
            get(move |ctx: Context| async move {
                let seen = ctx.clone();
                let s = s2.clone();
                let _ = ctx.after_func(move || {
                    let hung_up = seen
                        .cause()
                        .is_some_and(|c| c.downcast_ref::<Disconnected>().is_some());
                    s.disconnected
                        .fetch_add(usize::from(hung_up), Ordering::SeqCst);
                    s.ended.notify_one();
                });
                s2.arrived.notify_one();
                ctx.done().await;
                "never sent"
            }),
        )
        .route(
            "/drip",
            get(|| async {
                let (tx, rx) = mpsc::channel::<Result<Bytes, Infallible>>(1);
                tx.send(Ok(Bytes::from_static(b"first "))).await.unwrap();
                tokio::spawn(async move {
                    tx.closed().await; // keeps the body open until dropped
                });
                Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
                    rx.recv().await.map(|item| (item, rx))
                }))
            }),
        )
        .layer(ContextLayer::new(Context::background()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// What `/left` saw of the time left, sending `req` with `ctx`.
async fn left_ms(req: reqwest::RequestBuilder, ctx: &Context) -> u64 {
    let text = req.context(ctx).send().await.unwrap().text().await.unwrap();
    text.parse().unwrap()
}

#[tokio::test]
async fn c7_the_remaining_time_travels_and_the_shorter_one_wins() {
    let state = Arc::new(Server::default());
    let addr = serve(state.clone()).await;
    let client = reqwest::Client::new();
    let (ctx, _c) = Context::background().with_timeout(Duration::from_secs(2));
    let ms = left_ms(client.get(format!("http://{addr}/left")), &ctx).await;
    assert!(ms <= 2000 && ms > 1000, "{ms}");
    // The request's own 500 ms is shorter than the context's 2 s: kept.
    let req = client
        .get(format!("http://{addr}/left"))
        .header("grpc-timeout", "500m");
    let ms = left_ms(req, &ctx).await;
    assert!(ms <= 500, "{ms}");
}

#[tokio::test]
async fn c14_a_spent_context_sends_nothing() {
    let state = Arc::new(Server::default());
    let addr = serve(state.clone()).await;
    let client = reqwest::Client::new();
    let (ctx, cancel) = Context::background().with_cancel();
    cancel.cancel();
    let err = client
        .get(format!("http://{addr}/left"))
        .context(&ctx)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.context(), Some(Error::Canceled));
    let (spent, _c) = Context::background().with_timeout(Duration::ZERO);
    let err = client
        .get(format!("http://{addr}/left"))
        .context(&spent)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.context(), Some(Error::DeadlineExceeded));
    assert_eq!(state.calls.load(Ordering::SeqCst), 0, "nothing was sent");
}

#[tokio::test]
async fn c2_a_cancel_drops_the_call_and_the_server_sees_the_hang_up() {
    let state = Arc::new(Server::default());
    let addr = serve(state.clone()).await;
    let client = reqwest::Client::new();
    let (ctx, cancel) = Context::background().with_cancel();
    let call = tokio::spawn({
        let ctx = ctx.clone();
        let url = format!("http://{addr}/hang");
        async move { client.get(url).context(&ctx).send().await.map(|_| ()) }
    });
    state.arrived.notified().await;
    cancel.cancel();
    let err = call.await.unwrap().unwrap_err();
    assert_eq!(err.context(), Some(Error::Canceled));
    tokio::time::timeout(Duration::from_secs(10), state.ended.notified())
        .await
        .expect("the server's context ended");
    assert_eq!(state.disconnected.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn c7_a_deadline_ends_the_call_with_deadline_exceeded() {
    let state = Arc::new(Server::default());
    let addr = serve(state.clone()).await;
    let (ctx, _c) = Context::background().with_timeout(Duration::from_millis(200));
    let err = reqwest::Client::new()
        .get(format!("http://{addr}/hang"))
        .context(&ctx)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.context(), Some(Error::DeadlineExceeded));
}

#[tokio::test]
async fn c2_the_body_is_read_raced_against_the_context() {
    let state = Arc::new(Server::default());
    let addr = serve(state).await;
    let (ctx, cancel) = Context::background().with_cancel();
    let mut resp = reqwest::Client::new()
        .get(format!("http://{addr}/drip"))
        .context(&ctx)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.chunk().await.unwrap().unwrap(), "first ");
    cancel.cancel();
    // The rest of the body never comes: the context ends the read.
    let err = resp.text().await.unwrap_err();
    assert_eq!(err.context(), Some(Error::Canceled));
}
