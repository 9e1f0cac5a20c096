//! Soak: 10,000 requests through `ContextLayer` on loopback, with random
//! client hang-ups and random deadlines. Bounded in count (10,000) and time
//! (a minute at most). Afterwards no request context is left linked to the
//! base, no task a handler spawned is still alive, and memory is flat.

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::future::IntoFuture;
use std::sync::atomic::{AtomicIsize, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::Router;
use context::http::{ContextLayer, PropagateLayer};
use context::Context;
use http::Request;
use http_body_util::Full;
use support::{call, client};

struct Counting;
static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(l.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE_BYTES.fetch_sub(l.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

static LIVE_TASKS: AtomicUsize = AtomicUsize::new(0);

struct TaskGuard;
impl TaskGuard {
    fn new() -> Self {
        LIVE_TASKS.fetch_add(1, Ordering::SeqCst);
        TaskGuard
    }
}
impl Drop for TaskGuard {
    fn drop(&mut self) {
        LIVE_TASKS.fetch_sub(1, Ordering::SeqCst);
    }
}

fn rand(state: &AtomicU64) -> u64 {
    let mut x = state.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
    x ^= x >> 30;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 27;
    x
}

async fn handler(ctx: Context) -> Result<&'static str, context::Error> {
    let guard = TaskGuard::new();
    let worker_ctx = ctx.clone();
    tokio::spawn(async move {
        let _guard = guard;
        let _ = worker_ctx.done().await; // lives exactly as long as the request
    });
    ctx.run(tokio::time::sleep(Duration::from_micros(
        rand(&SEED) % 5_000,
    )))
    .await?;
    Ok("ok")
}

static SEED: AtomicU64 = AtomicU64::new(42);

async fn round(addr: std::net::SocketAddr, n: usize) -> (usize, usize) {
    let ok = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let sem = Arc::new(tokio::sync::Semaphore::new(64));
    let c = client(false);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..n {
        let permit = sem.clone().acquire_owned().await.unwrap();
        let (c, ok, failed) = (c.clone(), ok.clone(), failed.clone());
        tasks.spawn(async move {
            let _permit = permit;
            let r = rand(&SEED);
            let (ctx, _cancel) =
                Context::background().with_timeout(Duration::from_micros(5_000 + r % 80_000));
            let mut svc = tower_layer::Layer::layer(&PropagateLayer, c);
            let mut req = Request::get(format!("http://{addr}/"))
                .body(Full::default())
                .unwrap();
            req.extensions_mut().insert(ctx);
            let hang_up = Duration::from_micros(5_000 + (r >> 16) % 120_000);
            match tokio::time::timeout(hang_up, call(&mut svc, req)).await {
                Ok(Ok(resp)) if resp.status().is_success() => ok.fetch_add(1, Ordering::Relaxed),
                _ => failed.fetch_add(1, Ordering::Relaxed),
            };
        });
    }
    while tasks.join_next().await.is_some() {}
    (ok.load(Ordering::Relaxed), failed.load(Ordering::Relaxed))
}

async fn settle(base: &Context) {
    // Events, not sleeps: poll the counters until the server side has
    // dropped every request and every connection task has ended (hyper
    // drops handlers and closes connections asynchronously).
    let rt = tokio::runtime::Handle::current();
    tokio::time::timeout(Duration::from_secs(20), async {
        while LIVE_TASKS.load(Ordering::SeqCst) > 0
            || base.__stats().children > 0
            || rt.metrics().num_alive_tasks() > 0
        {
            tokio::task::yield_now().await;
        }
    })
    .await
    .unwrap_or_else(|_| {
        panic!(
            "leak: {} handler tasks, {} request contexts still alive",
            LIVE_TASKS.load(Ordering::SeqCst),
            base.__stats().children
        )
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_ten_thousand_requests_leave_nothing_behind() {
    let (base, _stop) = Context::background().with_cancel();
    let app = Router::new()
        .route("/", get(handler))
        .layer(ContextLayer::new(base.clone()).max_timeout(Duration::from_secs(5)));
    let test = async {
        // Three rounds; the first warms up every pool and cache (tokio's
        // timer wheel, hyper's buffers), the next two must stay flat.
        let mut live = Vec::new();
        let (mut ok, mut cut) = (0, 0);
        for _ in 0..3 {
            // A server per round, shut down once its requests are done, so
            // that no connection state is alive when memory is measured.
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
            let server = tokio::spawn(
                axum::serve(listener, app.clone())
                    .with_graceful_shutdown(async move { drop(stop_rx.await) })
                    .into_future(),
            );
            let (o, c) = round(addr, 3_334).await;
            stop_tx.send(()).unwrap();
            server.await.unwrap().unwrap();
            settle(&base).await;
            ok += o;
            cut += c;
            live.push(LIVE_BYTES.load(Ordering::SeqCst));
        }
        println!(
            "ok {ok}, cut short {cut} (deadline or hang-up); live bytes after each round {live:?}"
        );
        assert!(ok > 0 && cut > 0, "the mix must include both outcomes");
        // Flat: less than a byte per request between the last two rounds.
        // Some cleanup is another thread's and may still be under way when
        // a round settles: the timer thread wakes the tasks of the deadlines
        // it fired and drops their wakers (and with them the tasks' memory),
        // later on a loaded machine. A leak never comes back down; that
        // lag does, within this generous bound (2 of 14 runs under load
        // failed the one-shot check, at the session-5 start as well).
        let bound = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let growth = LIVE_BYTES.load(Ordering::SeqCst) - live[1];
            if growth < 3_334 {
                break;
            }
            assert!(
                std::time::Instant::now() < bound,
                "memory grew by {growth} bytes over 3,334 requests, and stayed"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(60), test)
        .await
        .expect("soak exceeded its time bound");
    assert_eq!(base.__stats().children, 0);
    assert_eq!(LIVE_TASKS.load(Ordering::SeqCst), 0);
}
