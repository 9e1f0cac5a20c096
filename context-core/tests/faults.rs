//! Faults: what a hostile or unlucky user does to the tree, and what must
//! still hold (SPEC C6, C7, C12, C15 and the second wave's "callback
//! faults"). Each test here failed (or hung, or aborted the process) on
//! c44627f, except `c3_c9_a_million_level_mixed_chain_is_read_and_cancelled_on_a_2mib_stack`,
//! which guards the cancel and read walks that were already iterative.
//!
//! Mass expiry (a million deadlines due at once) has its own binary,
//! `mass_expiry.rs`, so that its latency figures are not disturbed by the
//! tests here.
#![cfg(not(loom))]

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Context as TaskCx, RawWaker, RawWakerVTable, Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

use context_core::{Context, Error};

mod common;
use common::CountingWaker;

/// How long a test waits for something that should take milliseconds.
const EVENTUALLY: Duration = Duration::from_secs(20);

/// Runs `f` on a thread with a 2 MiB stack (a tokio worker's size, smaller
/// than the main thread's 8 MiB) and returns its result.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
}

const DEEP: u64 = 1_000_000;

#[derive(Debug, PartialEq)]
struct Root(&'static str);

/// A chain that alternates value and cancelable nodes, `DEEP` levels of
/// each, every third cancelable one with a (far) deadline; the leaf and the
/// `CancelFunc`s.
fn mixed_chain() -> (Context, Vec<context_core::CancelFunc>) {
    let far = Instant::now() + Duration::from_secs(3600);
    let mut ctx = Context::background().with_value(Root("top"));
    let mut keep = Vec::with_capacity(DEEP as usize);
    for i in 0..DEEP {
        ctx = ctx.with_value(i);
        let (c, k) = if i % 3 == 0 {
            ctx.with_deadline(far)
        } else {
            ctx.with_cancel()
        };
        keep.push(k);
        ctx = c;
    }
    (ctx, keep)
}

#[test]
fn c6_a_million_level_mixed_chain_is_freed_without_overflowing_a_2mib_stack() {
    on_small_stack(|| {
        let (ctx, keep) = mixed_chain();
        // Every CancelFunc first (each cancels and unlinks its node), then
        // the leaf: its drop frees the whole chain, value node, cancel
        // node, value node...
        drop(keep);
        assert_eq!(ctx.err(), Some(Error::Canceled));
        drop(ctx);
    });
}

#[test]
fn c3_c9_a_million_level_mixed_chain_is_read_and_cancelled_on_a_2mib_stack() {
    on_small_stack(|| {
        let (ctx, mut keep) = mixed_chain();
        assert_eq!(ctx.value::<u64>(), Some(&(DEEP - 1)));
        assert_eq!(ctx.value::<Root>(), Some(&Root("top")), "walks every level");
        assert!(ctx.deadline().is_some());
        assert!(!ctx.is_done());
        let _ = format!("{ctx:?}");
        // Cancel the top: the cancel walks a million levels down.
        keep.remove(0).cancel();
        assert_eq!(ctx.err(), Some(Error::Canceled));
        assert_eq!(
            ctx.cause().unwrap().downcast_ref::<Error>(),
            Some(&Error::Canceled),
            "the cause walks a million levels up"
        );
        // The leaf first this time, then the CancelFuncs from the bottom.
        drop(ctx);
        while keep.pop().is_some() {}
    });
}

/// A waker whose `wake` panics.
struct PanickingWaker;

impl Wake for PanickingWaker {
    fn wake(self: Arc<Self>) {
        panic!("waker panics");
    }
}

/// Registers `waker` on `ctx`'s done future and keeps the future alive.
fn park(ctx: &Context, waker: &Waker) {
    let mut done = Box::pin(ctx.clone().done_owned());
    assert!(done
        .as_mut()
        .poll(&mut TaskCx::from_waker(waker))
        .is_pending());
    std::mem::forget(done);
}

#[test]
fn c12_a_panicking_waker_loses_no_other_wake_or_after_func() {
    let (ctx, cancel) = Context::background().with_cancel();
    let (child, _child_cancel) = ctx.with_cancel();
    let counter = Arc::new(CountingWaker::default());
    let good = Waker::from(counter.clone());
    let bad = Waker::from(Arc::new(PanickingWaker));
    park(&ctx, &bad);
    park(&ctx, &good);
    park(&child, &bad);
    park(&child, &good);
    let ran = Arc::new(AtomicUsize::new(0));
    for c in [&ctx, &child] {
        let r = ran.clone();
        std::mem::forget(c.after_func(move || {
            r.fetch_add(1, Ordering::SeqCst);
        }));
    }
    let panic = catch_unwind(AssertUnwindSafe(|| cancel.cancel())).expect_err("re-raised");
    assert_eq!(panic.downcast_ref::<&str>(), Some(&"waker panics"));
    assert_eq!(
        counter.0.load(Ordering::SeqCst),
        2,
        "both good wakers woken"
    );
    assert_eq!(ran.load(Ordering::SeqCst), 2, "both after-funcs ran");
    assert!(child.is_done());
}

/// Waits until `rx` gets a message, at most `EVENTUALLY`.
fn expect_event(rx: &mpsc::Receiver<()>, what: &str) {
    rx.recv_timeout(EVENTUALLY)
        .unwrap_or_else(|_| panic!("{what}: not within {EVENTUALLY:?}"));
}

/// A value whose drop panics.
struct PanicOnDrop;

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        if !thread::panicking() {
            panic!("value drop panics");
        }
    }
}

#[test]
fn c15_the_timer_thread_survives_panicking_wakers_after_funcs_and_drops() {
    // A deadline whose waker panics on the timer thread, and an after-func
    // that panics and drops a value whose drop panics.
    let (ctx, _cancel) = Context::background().with_timeout(Duration::from_millis(5));
    park(&ctx, &Waker::from(Arc::new(PanickingWaker)));
    let doomed = Context::background().with_value(PanicOnDrop);
    std::mem::forget(ctx.after_func(move || {
        drop(doomed);
    }));
    std::mem::forget(ctx.after_func(|| panic!("after-func panics")));
    let (tx, rx) = mpsc::channel();
    let tx2 = tx.clone();
    std::mem::forget(ctx.after_func(move || tx2.send(()).unwrap()));
    expect_event(&rx, "the first deadline fired");
    // A later deadline still fires without anybody polling it (C7).
    let (later, _c) = Context::background().with_timeout(Duration::from_millis(20));
    std::mem::forget(later.after_func(move || tx.send(()).unwrap()));
    expect_event(&rx, "a deadline after the panics fired");
    assert_eq!(later.err(), Some(Error::DeadlineExceeded));
}

#[test]
fn c12_a_blocked_after_func_does_not_hold_up_another_deadline() {
    // The after-func of `a` waits until `b`'s deadline has fired: with
    // after-funcs run on the timer thread, it waits for good.
    let (a, _ca) = Context::background().with_timeout(Duration::from_millis(5));
    let (b, _cb) = Context::background().with_timeout(Duration::from_millis(50));
    let (b_fired, b_seen) = mpsc::channel();
    std::mem::forget(b.after_func(move || b_fired.send(()).unwrap()));
    let (done_tx, done_rx) = mpsc::channel();
    std::mem::forget(a.after_func(move || {
        let saw = b_seen.recv_timeout(EVENTUALLY).is_ok();
        done_tx.send(saw).unwrap();
    }));
    let saw = done_rx
        .recv_timeout(EVENTUALLY * 2)
        .expect("a's after-func never ended");
    assert!(
        saw,
        "b's deadline did not fire while a's after-func blocked"
    );
}

#[test]
fn c12_a_sleeping_after_func_does_not_delay_an_unrelated_deadline() {
    let (a, _ca) = Context::background().with_timeout(Duration::from_millis(1));
    let (slept_tx, slept) = mpsc::channel();
    std::mem::forget(a.after_func(move || {
        thread::sleep(Duration::from_secs(3));
        let _ = slept_tx.send(());
    }));
    // Once a's after-func is running...
    while !a.is_done() {
        thread::yield_now();
    }
    let (b, _cb) = Context::background().with_timeout(Duration::from_millis(20));
    let (tx, rx) = mpsc::channel();
    std::mem::forget(b.after_func(move || tx.send(Instant::now()).unwrap()));
    let fired = rx.recv_timeout(EVENTUALLY).expect("b never fired");
    // ...b fires long before the 3 s sleep ends (generous: 1.5 s late).
    assert!(
        slept.try_recv().is_err(),
        "b fired only after a's after-func ended"
    );
    let late = fired.saturating_duration_since(b.deadline().unwrap());
    assert!(late < Duration::from_millis(1500), "b fired {late:?} late");
}

/// A waker whose clone creates a child of `CTX_FOR_CLONE`: it takes the
/// node's lock, which `register` held around `Waker::clone`.
static CLONES: AtomicUsize = AtomicUsize::new(0);

fn reentrant_waker(ctx: &'static Context) -> Waker {
    fn clone(data: *const ()) -> RawWaker {
        // SAFETY: `data` is the `&'static Context` given below.
        let ctx = unsafe { &*(data as *const Context) };
        let (_child, _cancel) = ctx.with_cancel();
        CLONES.fetch_add(1, Ordering::SeqCst);
        RawWaker::new(data, &VTABLE)
    }
    fn noop(_: *const ()) {}
    static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, noop, noop, noop);
    // SAFETY: the vtable's functions are sound for a `'static` pointer and
    // do nothing with it but read a `Context`.
    unsafe { Waker::from_raw(RawWaker::new(ctx as *const Context as *const (), &VTABLE)) }
}

#[test]
fn c12_a_waker_clone_that_reenters_the_same_context_does_not_deadlock() {
    let (ctx, cancel) = Context::background().with_cancel();
    // Not dropped on failure: a deadlocked node's lock is never released,
    // and the cancel would wait for it too.
    let cancel = std::mem::ManuallyDrop::new(cancel);
    let ctx: &'static Context = Box::leak(Box::new(ctx));
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let waker = reentrant_waker(ctx);
        let mut done = pin!(ctx.done());
        let pending = done.as_mut().poll(&mut TaskCx::from_waker(&waker));
        tx.send(pending.is_pending()).unwrap();
    });
    let pending = rx
        .recv_timeout(EVENTUALLY)
        .expect("registering a re-entrant waker deadlocked");
    assert!(pending);
    assert!(CLONES.load(Ordering::SeqCst) >= 1);
    std::mem::ManuallyDrop::into_inner(cancel).cancel();
    assert!(ctx.is_done());
}

#[test]
fn c7_a_deadline_beyond_the_clock_is_reported_clamped() {
    let now = Instant::now();
    let far = now + Duration::from_secs(200 * 365 * 24 * 3600);
    let (ctx, _cancel) = Context::background().with_deadline(far);
    let d = ctx
        .deadline()
        .expect("with_deadline always reports a deadline");
    assert!(
        d >= now + Duration::from_secs(30 * 365 * 24 * 3600),
        "{d:?}"
    );
    assert!(d <= far);
    assert!(!ctx.is_done());
    assert!(ctx.remaining().unwrap() >= Duration::from_secs(30 * 365 * 24 * 3600));
    // A child's own nearer deadline still wins, and a far parent is kept.
    let near = now + Duration::from_secs(60);
    let (child, _c) = ctx.with_deadline(near);
    assert_eq!(child.deadline(), Some(near));
    let (far_child, _c) = ctx.with_deadline(far + Duration::from_secs(1));
    assert_eq!(far_child.deadline(), Some(d));
    // with_timeout(MAX) keeps meaning "no deadline" (C8).
    let (never, _c) = Context::background().with_timeout(Duration::MAX);
    assert_eq!(never.deadline(), None);
    assert_eq!(never.remaining(), None);
}
