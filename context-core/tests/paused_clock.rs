//! Tokio's paused test clock (SPEC second wave, C7, C8, C15): a context
//! made on a runtime whose time is paused keeps its deadline on tokio's
//! clock; everywhere else deadlines are on the real clock. Before this, a
//! `with_timeout(100 ms)` around a `sleep(10 s)` returned `Ok`: the sleep
//! moved virtual time at once, the deadline waited for real time.
#![cfg(not(loom))]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use context_core::{Context, Error};
use tokio::time::{advance, sleep, Instant};

#[tokio::test(start_paused = true)]
async fn c7_c15_a_timeout_around_a_long_sleep_ends_at_virtual_100ms() {
    let (ctx, _cancel) = Context::background().with_timeout(Duration::from_millis(100));
    let start = Instant::now();
    let out = ctx.run(sleep(Duration::from_secs(10))).await;
    assert_eq!(out, Err(Error::DeadlineExceeded));
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(100) && took < Duration::from_millis(102),
        "virtual {took:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn c7_c12_time_advance_fires_a_deadline_and_its_after_func() {
    let (ctx, _cancel) = Context::background().with_timeout(Duration::from_secs(1));
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    let _f = ctx.after_func(move || {
        r.fetch_add(1, Ordering::SeqCst);
    });
    advance(Duration::from_millis(999)).await;
    assert!(!ctx.is_done(), "virtual 999 ms: not yet");
    advance(Duration::from_millis(2)).await;
    assert!(ctx.is_done(), "virtual 1001 ms: passed");
    assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
    ctx.done().await;
    // The after-func runs on a callback thread, handed there by a task of
    // this runtime: let it run, and wait on the real clock.
    let real = std::time::Instant::now();
    while ran.load(Ordering::SeqCst) == 0 {
        assert!(
            real.elapsed() < Duration::from_secs(10),
            "the after-func never ran"
        );
        tokio::task::yield_now().await;
    }
}

#[tokio::test(start_paused = true)]
async fn c7_deadline_and_remaining_are_on_the_paused_clock() {
    let (ctx, _cancel) = Context::background().with_timeout(Duration::from_secs(5));
    advance(Duration::from_secs(2)).await;
    assert_eq!(ctx.remaining(), Some(Duration::from_secs(3)));
    assert_eq!(
        ctx.deadline(),
        Some((Instant::now() + Duration::from_secs(3)).into_std())
    );
    // A child without a deadline of its own reports the parent's, on the
    // same clock, and ends with it.
    let (child, _c) = ctx.with_cancel();
    assert_eq!(child.remaining(), Some(Duration::from_secs(3)));
    sleep(Duration::from_secs(3)).await;
    assert_eq!(child.err(), Some(Error::DeadlineExceeded));
}

#[tokio::test(start_paused = true)]
async fn c7_with_deadline_takes_a_tokio_instant_on_the_paused_clock() {
    let at = Instant::now() + Duration::from_millis(250);
    let (ctx, _cancel) = Context::background().with_deadline(at.into_std());
    ctx.done().await;
    assert_eq!(Instant::now(), at);
    assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
}

#[tokio::test(start_paused = true)]
async fn c4_a_cancel_before_the_virtual_deadline_wins_and_stops_its_task() {
    let (ctx, cancel) = Context::background().with_timeout(Duration::from_secs(1));
    cancel.cancel();
    advance(Duration::from_secs(2)).await;
    assert_eq!(ctx.err(), Some(Error::Canceled));
}

#[test]
fn c15_a_context_made_outside_any_runtime_stays_on_the_real_clock() {
    let (ctx, _cancel) = Context::background().with_timeout(Duration::from_millis(50));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    rt.block_on(async {
        // An hour of virtual time does not move a real-clock deadline.
        sleep(Duration::from_secs(3600)).await;
        assert!(!ctx.is_done());
        assert!(ctx.remaining().unwrap() <= Duration::from_millis(50));
    });
    // The shared timer fires it on the real clock, with no runtime at all.
    futures_executor::block_on(ctx.done());
    assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
}

#[tokio::test]
async fn c15_an_unpaused_runtime_keeps_the_real_clock() {
    // Read before the deadline is set from the clock, so that a timer
    // firing right at the deadline is at least 20 ms after it.
    let start = std::time::Instant::now();
    let (ctx, _cancel) = Context::background().with_timeout(Duration::from_millis(20));
    ctx.done().await;
    assert!(start.elapsed() >= Duration::from_millis(20));
}

#[test]
fn c15_on_an_unpaused_runtime_a_deadline_fires_even_while_the_runtime_is_blocked() {
    // An unpaused runtime keeps the shared timer: the deadline fires on
    // its thread, even while the runtime's only thread is blocked (a
    // deadline left to a task of the runtime would wait for it).
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    rt.block_on(async {
        let (ctx, _cancel) = Context::background().with_timeout(Duration::from_millis(20));
        let (tx, rx) = std::sync::mpsc::channel();
        let _f = ctx.after_func(move || {
            let _ = tx.send(());
        });
        // Blocks this runtime's one thread until the after-func ran.
        rx.recv_timeout(Duration::from_secs(10))
            .expect("the deadline fired while the runtime was blocked");
        assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
    });
}
