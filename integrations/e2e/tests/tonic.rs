//! The tonic integration end to end (issue 12): real tonic servers and
//! clients on loopback, three hops (client -> A -> B -> C), each hop a
//! server with `ContextLayer` that calls the next with
//! `context::tonic::request` over a channel behind `PropagateLayer`.

use std::sync::Arc;
use std::time::Duration;

use context::tonic::request;
use context::{Context, Error};
use context_e2e::{ask, connect, serve, Ask, LastEnd, Probe};
use tonic::Code;

/// Client -> A -> B -> C; the probe is C's.
async fn three_hops() -> (context_e2e::HopClient, Arc<Probe>) {
    let probe = Arc::new(Probe::default());
    let c = serve(Some(Context::background()), None, probe.clone()).await;
    let b = serve(Some(Context::background()), Some(c), Arc::default()).await;
    let a = serve(Some(Context::background()), Some(b), Arc::default()).await;
    (connect(a).await, probe)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c7_the_deadline_shrinks_at_each_hop() {
    let (mut client, _) = three_hops().await;
    let (ctx, _cancel) = Context::background().with_timeout(Duration::from_secs(5));
    let answer = ask(
        &mut client,
        request(
            &ctx,
            Ask {
                hops_left: 2,
                work_ms: 0,
            },
        )
        .unwrap(),
    )
    .await
    .unwrap();
    let b = &answer.budgets_us;
    assert_eq!(b.len(), 3, "{b:?}");
    assert!(b[0] <= 5_000_000, "A got at most the caller's 5 s: {b:?}");
    assert!(b[0] > 4_000_000, "A got about the caller's 5 s: {b:?}");
    assert!(
        b[0] > b[1] && b[1] > b[2],
        "each hop has less than the one before: {b:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c2_c5_a_client_cancel_reaches_the_last_hop() {
    let (mut client, probe) = three_hops().await;
    let (ctx, cancel) = Context::background().with_cancel();
    let req = request(
        &ctx,
        Ask {
            hops_left: 2,
            work_ms: 60_000,
        },
    )
    .unwrap();
    let call = tokio::spawn(async move { ask(&mut client, req).await });
    probe.started.notified().await;
    cancel.cancel();
    let out = call.await.unwrap();
    assert_eq!(
        out.unwrap_err().code(),
        Code::Cancelled,
        "the caller sees CANCELLED"
    );
    // C's call was dropped by B's `PropagateLayer` as B's was by A's: C's
    // context ends as the client went away.
    tokio::time::timeout(Duration::from_secs(10), probe.ended_signal.notified())
        .await
        .expect("the last hop's context ended");
    let end = probe.ended.lock().unwrap().clone();
    assert_eq!(
        end,
        Some(LastEnd {
            err: Error::Canceled,
            disconnected: true
        })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c7_an_expired_deadline_is_deadline_exceeded_at_the_caller() {
    let (mut client, probe) = three_hops().await;
    let (ctx, _cancel) = Context::background().with_timeout(Duration::from_millis(300));
    let out = ask(
        &mut client,
        request(
            &ctx,
            Ask {
                hops_left: 2,
                work_ms: 60_000,
            },
        )
        .unwrap(),
    )
    .await;
    let status = out.unwrap_err();
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    tokio::time::timeout(Duration::from_secs(10), probe.ended_signal.notified())
        .await
        .expect("the last hop's context ended");
    // The last hop's own deadline is a little later than its caller's
    // (the remaining time is rounded up, and it travels): it ends either at
    // that deadline or, just before it, by the hang-up of its caller at the
    // caller's deadline. Never by anything else.
    let end = probe.ended.lock().unwrap().clone().unwrap();
    assert!(
        end.err == Error::DeadlineExceeded || (end.err == Error::Canceled && end.disconnected),
        "{end:?}"
    );
}

#[tokio::test]
async fn a_request_from_a_spent_context_is_never_sent() {
    let (ctx, cancel) = Context::background().with_cancel();
    cancel.cancel();
    assert_eq!(
        request(&ctx, Ask::default()).unwrap_err().code(),
        Code::Cancelled
    );
    let (ctx, _c) = Context::background().with_timeout(Duration::ZERO);
    assert_eq!(
        request(&ctx, Ask::default()).unwrap_err().code(),
        Code::DeadlineExceeded
    );
}

#[tokio::test]
async fn a_server_without_context_layer_is_a_clear_internal_error() {
    use context::tonic::RequestContext;
    let req = tonic::Request::new(Ask::default());
    let err = req.context().unwrap_err();
    assert_eq!(err.code(), Code::Internal);
    assert!(err.message().contains("ContextLayer"), "{}", err.message());
}
