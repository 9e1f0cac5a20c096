//! `context::http` at its edges (issue 12, items 3-5): the shorter of two
//! deadlines is sent, gRPC error answers follow the gRPC HTTP/2 spec, and
//! a hang-up at the deadline is a deadline (C2, C7, C11).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskCx, Poll, Waker};
use std::time::{Duration, Instant};

use context::http::{inject_deadline, ContextLayer, Disconnected};
use context::{Context, Error};
use http::{HeaderMap, HeaderValue, Request, Response};
use http_body_util::Full;
use tower_layer::Layer;
use tower_service::Service;

// ---- the shorter deadline wins (item 3) ------------------------------------

fn timeout_of(h: &HeaderMap) -> Option<Duration> {
    h.get("grpc-timeout")
        .map(|v| context::http::grpc_timeout::decode(v.as_bytes()).unwrap())
}

#[test]
fn c7_the_shorter_of_the_header_and_the_context_is_sent() {
    let (ctx, _k) = Context::background().with_timeout(Duration::from_secs(10));
    // tonic's `Request::set_timeout(1s)`: shorter than the context's 10 s.
    let mut h = HeaderMap::new();
    h.insert("grpc-timeout", HeaderValue::from_static("1S"));
    inject_deadline(&ctx, &mut h).unwrap();
    assert_eq!(timeout_of(&h), Some(Duration::from_secs(1)));
    // 60 s on the request: the context's 10 s is shorter.
    h.insert("grpc-timeout", HeaderValue::from_static("60S"));
    inject_deadline(&ctx, &mut h).unwrap();
    let sent = timeout_of(&h).unwrap();
    assert!(
        sent <= Duration::from_secs(10) && sent > Duration::from_secs(9),
        "{sent:?}"
    );
    // No deadline on the context: the request's own timeout stays.
    h.insert("grpc-timeout", HeaderValue::from_static("3S"));
    inject_deadline(&Context::background(), &mut h).unwrap();
    assert_eq!(timeout_of(&h), Some(Duration::from_secs(3)));
}

// ---- gRPC error answers (item 4) --------------------------------------------

/// A handler that never answers.
#[derive(Clone)]
struct Never;

impl Service<Request<Full<bytes::Bytes>>> for Never {
    type Response = Response<Full<bytes::Bytes>>;
    type Error = Infallible;
    type Future = std::future::Pending<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut TaskCx<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Request<Full<bytes::Bytes>>) -> Self::Future {
        std::future::pending()
    }
}

fn grpc_request(timeout: &[u8]) -> Request<Full<bytes::Bytes>> {
    let mut r = Request::new(Full::new(bytes::Bytes::new()));
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/grpc"));
    r.headers_mut()
        .insert("grpc-timeout", HeaderValue::from_bytes(timeout).unwrap());
    r
}

fn poll_once<F: Future>(f: Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut TaskCx::from_waker(Waker::noop()))
}

/// The percent-decoding of the gRPC spec: `%XX` to a byte.
fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

#[test]
fn grpc_message_is_percent_encoded_and_bytes_above_0x7f_are_escapes() {
    let mut svc = ContextLayer::new(Context::background()).layer(Never);
    // `1%` (a raw `%`) and `1` + U+FF15 (a full-width digit, 3 UTF-8 bytes).
    for (value, shown) in [
        (&b"1%"[..], "unit '%' is not one of H M S m u n"),
        (
            "1\u{ff15}S".as_bytes(),
            "byte '\\xef' is not an ASCII digit",
        ),
        ("1é".as_bytes(), "unit '\\xa9' is not one of H M S m u n"),
    ] {
        let mut fut = std::pin::pin!(svc.call(grpc_request(value)));
        let Poll::Ready(Ok(resp)) = poll_once(fut.as_mut()) else {
            panic!("a malformed header is answered at once");
        };
        assert_eq!(resp.headers()["grpc-status"], "13");
        let msg = resp.headers()["grpc-message"].to_str().unwrap();
        // Only 0x20-0x7E, and no `%` that is not an escape.
        assert!(msg.bytes().all(|b| (0x20..=0x7e).contains(&b)), "{msg}");
        let decoded = String::from_utf8(percent_decode(msg)).unwrap();
        assert_eq!(decoded, format!("malformed grpc-timeout: {shown}"), "{msg}");
    }
}

// ---- a hang-up at the deadline is a deadline (item 5) -----------------------

/// A handler that hands its context out, then never answers.
// The test reads the request's context through it.
// ctx-lint: allow(ctx-in-struct)
#[derive(Clone)]
struct Keep(Arc<Mutex<Option<Context>>>);

impl Service<Request<Full<bytes::Bytes>>> for Keep {
    type Response = Response<Full<bytes::Bytes>>;
    type Error = Infallible;
    type Future = std::future::Pending<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut TaskCx<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<Full<bytes::Bytes>>) -> Self::Future {
        *self.0.lock().unwrap() = req.extensions().get::<Context>().cloned();
        std::future::pending()
    }
}

#[test]
fn c2_a_client_that_hangs_up_at_its_deadline_ends_the_context_with_deadline_exceeded() {
    // The client resets the stream as its deadline passes: hyper drops the
    // response future within microseconds, long before the timer thread
    // (up to a few ms late) fires. 100 rounds: before the fix, most of
    // them said `Disconnected`.
    let slot = Arc::new(Mutex::new(None));
    let mut svc = ContextLayer::new(Context::background()).layer(Keep(slot.clone()));
    let (mut disconnected, mut rounds) = (0, 0);
    for _ in 0..100 {
        let mut fut = Box::pin(svc.call(grpc_request(b"5m")));
        if poll_once(fut.as_mut()).is_ready() {
            // A loaded machine let the 5 ms pass before the first poll: the
            // layer answered 504 itself, the handler never ran. Not this case.
            continue;
        }
        rounds += 1;
        let ctx = slot.lock().unwrap().take().unwrap();
        let deadline = ctx.deadline().unwrap();
        while Instant::now() < deadline {
            std::hint::spin_loop();
        }
        drop(fut); // the hang-up
        assert!(ctx.is_done());
        if ctx
            .cause()
            .is_some_and(|c| c.downcast_ref::<Disconnected>().is_some())
        {
            disconnected += 1;
        }
        assert_eq!(
            ctx.err(),
            Some(Error::DeadlineExceeded),
            "{:?}",
            ctx.cause()
        );
    }
    assert_eq!(disconnected, 0);
    assert!(
        rounds >= 50,
        "only {rounds} of 100 rounds got to the handler"
    );
}

#[test]
fn c2_a_client_that_hangs_up_before_its_deadline_is_disconnected() {
    let slot = Arc::new(Mutex::new(None));
    let mut svc = ContextLayer::new(Context::background()).layer(Keep(slot.clone()));
    let mut fut = Box::pin(svc.call(grpc_request(b"10S")));
    assert!(poll_once(fut.as_mut()).is_pending());
    let ctx = slot.lock().unwrap().take().unwrap();
    drop(fut);
    assert_eq!(ctx.err(), Some(Error::Canceled));
    assert!(ctx
        .cause()
        .unwrap()
        .downcast_ref::<Disconnected>()
        .is_some());
}

#[tokio::test(start_paused = true)]
async fn c15_the_propagated_remaining_time_is_on_the_paused_clock() {
    let (ctx, _k) = Context::background().with_timeout(Duration::from_secs(2));
    tokio::time::advance(Duration::from_millis(1500)).await;
    let mut h = HeaderMap::new();
    inject_deadline(&ctx, &mut h).unwrap();
    // Exactly the virtual time left: the real clock has hardly moved.
    assert_eq!(h["grpc-timeout"], "500000u");
    tokio::time::advance(Duration::from_millis(600)).await;
    assert_eq!(inject_deadline(&ctx, &mut h), Err(Error::DeadlineExceeded));
}

/// A handler that counts its calls, then answers at once.
#[derive(Clone)]
struct Count(Arc<std::sync::atomic::AtomicUsize>);

impl Service<Request<Full<bytes::Bytes>>> for Count {
    type Response = Response<Full<bytes::Bytes>>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut TaskCx<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Request<Full<bytes::Bytes>>) -> Self::Future {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        std::future::ready(Ok(Response::new(Full::new(bytes::Bytes::new()))))
    }
}

/// C2 through the layer: a request whose context is over before it starts
/// never reaches the handler: a cancelled base (shutdown) is answered 503,
/// an expired one 504, and a live base with a spent `grpc-timeout` 504.
#[tokio::test]
async fn c2_a_request_ended_before_it_starts_never_reaches_the_handler() {
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let answer = |base: Context, timeout: &'static str| {
        let mut svc = ContextLayer::new(base).layer(Count(calls.clone()));
        async move { svc.call(plain_request(timeout)).await.unwrap().status() }
    };
    let (base, stop) = Context::background().with_cancel();
    stop.cancel();
    assert_eq!(answer(base, "5S").await, 503);
    let (base, _k) = Context::background().with_timeout(Duration::ZERO);
    assert_eq!(answer(base, "5S").await, 504);
    assert_eq!(answer(Context::background(), "0n").await, 504);
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 0);
    // And a live one does.
    assert_eq!(answer(Context::background(), "5S").await, 200);
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
}

// ---- partial answers at the deadline (item 6) ---------------------------------

/// A handler that waits on its context for a backend that never answers,
/// then answers with what it has (`partial`), unless `stubborn`.
#[derive(Clone)]
struct Partial {
    stubborn: bool,
}

impl Service<Request<Full<bytes::Bytes>>> for Partial {
    type Response = Response<Full<bytes::Bytes>>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut TaskCx<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<Full<bytes::Bytes>>) -> Self::Future {
        let ctx = req.extensions().get::<Context>().cloned().unwrap();
        let stubborn = self.stubborn;
        Box::pin(async move {
            let slow = ctx.run(std::future::pending::<()>()).await;
            assert_eq!(slow, Err(Error::DeadlineExceeded));
            if stubborn {
                std::future::pending::<()>().await;
            }
            Ok(Response::new(Full::new(bytes::Bytes::from("partial"))))
        })
    }
}

fn plain_request(timeout: &'static str) -> Request<Full<bytes::Bytes>> {
    let mut r = Request::new(Full::new(bytes::Bytes::new()));
    r.headers_mut()
        .insert("grpc-timeout", HeaderValue::from_static(timeout));
    r
}

#[tokio::test(start_paused = true)]
async fn c7_with_a_grace_the_handler_answers_with_what_finished_in_time() {
    let layer = ContextLayer::new(Context::background()).deadline_grace(Duration::from_millis(50));
    let resp = layer
        .layer(Partial { stubborn: false })
        .call(plain_request("100m"))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .unwrap();
    assert_eq!(body.to_bytes(), "partial");
}

#[tokio::test(start_paused = true)]
async fn c7_without_a_grace_or_past_it_the_answer_is_504() {
    let start = tokio::time::Instant::now();
    let layer = ContextLayer::new(Context::background());
    let resp = layer
        .layer(Partial { stubborn: false })
        .call(plain_request("100m"))
        .await
        .unwrap();
    assert_eq!(resp.status(), 504, "no grace: dropped at the deadline");
    assert_eq!(start.elapsed(), Duration::from_millis(100));

    let start = tokio::time::Instant::now();
    let layer = ContextLayer::new(Context::background()).deadline_grace(Duration::from_millis(50));
    let resp = layer
        .layer(Partial { stubborn: true })
        .call(plain_request("100m"))
        .await
        .unwrap();
    assert_eq!(resp.status(), 504, "the grace is over");
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(150) && took < Duration::from_millis(152),
        "{took:?}"
    );
}
