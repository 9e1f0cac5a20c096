//! One or more tests per SPEC rule C1..C16; each test's name starts with the
//! rule it covers.
#![cfg(not(loom))]

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Context as TaskCx, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use common::CountingWaker;
use context_core::{Context, Error};

mod common;

/// Generous bound for events that should take microseconds: a hang fails
/// the test instead of freezing the run.
const EVENTUALLY: Duration = Duration::from_secs(10);

fn poll_once<F: Future>(f: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut TaskCx::from_waker(Waker::noop()))
}

#[derive(Debug)]
struct MyErr(&'static str);
impl std::fmt::Display for MyErr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}
impl std::error::Error for MyErr {}

fn cause_str(ctx: &Context) -> String {
    ctx.cause().expect("a done context has a cause").to_string()
}

// ---- C1 -------------------------------------------------------------------

/// Loop counts: full size natively, small under Miri, which interprets every
/// step (it runs these tests to check the dependencies' `unsafe` on our use).
fn scaled(n: usize) -> usize {
    if cfg!(miri) {
        n.min(300)
    } else {
        n
    }
}

#[test]
fn c1_background_and_todo_are_never_done_and_empty() {
    for ctx in [Context::background(), Context::todo()] {
        assert!(!ctx.is_done());
        assert_eq!(ctx.err(), None);
        assert!(ctx.cause().is_none());
        assert_eq!(ctx.deadline(), None);
        assert_eq!(ctx.value::<u32>(), None);
        let mut done = pin!(ctx.done());
        assert!(poll_once(done.as_mut()).is_pending());
        assert!(poll_once(done.as_mut()).is_pending());
    }
}

#[tokio::test(start_paused = true)]
async fn c1_background_done_never_resolves_even_after_an_hour() {
    let ctx = Context::background();
    let r = tokio::time::timeout(Duration::from_secs(3600), ctx.done()).await;
    assert!(r.is_err(), "background().done() resolved");
}

// ---- C2 -------------------------------------------------------------------

#[test]
fn c2_child_is_done_when_parent_is_and_reports_parents_err_and_cause() {
    let (parent, cancel) = Context::background().with_cancel();
    let (child, _c) = parent.with_cancel();
    let (grandchild, _g) = child.with_value(1u8).with_cancel();
    assert!(!child.is_done());
    cancel.cancel_with_cause(MyErr("parent's reason"));
    assert_eq!(child.err(), Some(Error::Canceled));
    assert_eq!(cause_str(&child), "parent's reason");
    assert_eq!(grandchild.err(), Some(Error::Canceled));
    assert!(grandchild
        .cause()
        .unwrap()
        .downcast_ref::<MyErr>()
        .is_some());
}

#[test]
fn c2_child_cancel_does_not_reach_parent_or_siblings() {
    let (parent, _cancel) = Context::background().with_cancel();
    let (a, cancel_a) = parent.with_cancel();
    let (b, _cancel_b) = parent.with_cancel();
    cancel_a.cancel();
    assert!(a.is_done());
    assert!(!parent.is_done());
    assert!(!b.is_done());
}

#[test]
fn c2_child_of_a_done_parent_is_born_done_with_parents_cause() {
    let (parent, cancel) = Context::background().with_cancel();
    cancel.cancel_with_cause(MyErr("early"));
    let (child, _c) = parent.with_timeout(Duration::from_secs(60));
    assert_eq!(child.err(), Some(Error::Canceled));
    assert_eq!(cause_str(&child), "early");
}

// ---- C3 -------------------------------------------------------------------

#[test]
fn c3_cancel_marks_every_descendant_before_it_returns() {
    let (root, cancel) = Context::background().with_cancel();
    let mut all = Vec::new();
    let mut keep = Vec::new();
    // a wide level, then a deep chain under each, with value nodes between
    for i in 0..50u32 {
        let (c, k) = root.with_cancel();
        keep.push(k);
        let mut cur = c.with_value(i);
        for _ in 0..40 {
            let (n, k) = cur.with_cancel();
            keep.push(k);
            cur = n.with_value(i);
            all.push(cur.clone());
        }
    }
    assert!(all.iter().all(|c| !c.is_done()));
    cancel.cancel();
    assert!(all.iter().all(|c| c.err() == Some(Error::Canceled)));
}

#[test]
fn c3_a_200k_deep_chain_cancels_and_drops_without_overflowing() {
    let (root, cancel) = Context::background().with_cancel();
    let mut cur = root.clone();
    let mut keep = Vec::new();
    for _ in 0..scaled(200_000) {
        let (c, k) = cur.with_cancel();
        keep.push(k);
        cur = c;
    }
    cancel.cancel();
    assert!(cur.is_done());
    drop(keep);
    drop(root);
    drop(cur); // frees the whole chain iteratively
}

// ---- C4 -------------------------------------------------------------------

#[test]
fn c4_first_cancel_wins_and_err_never_changes() {
    for _ in 0..50 {
        let (ctx, cancel) = Context::background().with_cancel();
        let cancel = Arc::new(cancel);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let observer = {
            let ctx = ctx.clone();
            let seen = seen.clone();
            thread::spawn(move || {
                let start = Instant::now();
                while start.elapsed() < EVENTUALLY {
                    let e = ctx.err();
                    seen.lock().unwrap().push(e);
                    if e.is_some() && seen.lock().unwrap().len() > 100 {
                        break;
                    }
                }
            })
        };
        let threads: Vec<_> = (0..4)
            .map(|i| {
                let cancel = cancel.clone();
                thread::spawn(move || cancel.cancel_with_cause(MyErr(["a", "b", "c", "d"][i])))
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        let winner = cause_str(&ctx);
        for _ in 0..10 {
            cancel.cancel_with_cause(MyErr("late"));
            cancel.cancel();
            assert_eq!(cause_str(&ctx), winner, "a later cancel changed the cause");
        }
        observer.join().unwrap();
        let seen = seen.lock().unwrap();
        let first_some = seen.iter().position(Option::is_some).unwrap();
        assert!(seen[first_some..]
            .iter()
            .all(|e| *e == Some(Error::Canceled)));
        assert!(seen[..first_some].iter().all(Option::is_none));
    }
}

#[test]
fn c4_a_passed_deadline_seen_by_a_reader_is_not_overwritten_by_a_later_cancel() {
    let (ctx, cancel) =
        Context::background().with_deadline(Instant::now() + Duration::from_millis(5));
    while !ctx.is_done() {
        thread::yield_now();
    }
    assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
    cancel.cancel_with_cause(MyErr("too late"));
    assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
    assert_eq!(cause_str(&ctx), "context deadline exceeded");
}

// ---- C5 -------------------------------------------------------------------

#[test]
fn c5_dropping_the_cancel_func_cancels() {
    let (ctx, cancel) = Context::background().with_cancel();
    let (child, _c) = ctx.with_cancel();
    drop(cancel);
    assert_eq!(ctx.err(), Some(Error::Canceled));
    assert!(child.is_done());
}

#[test]
fn c5_dropping_contexts_cancels_nothing() {
    let (ctx, cancel) = Context::background().with_cancel();
    let (child, _child_cancel) = ctx.with_cancel();
    let fired = Arc::new(AtomicBool::new(false));
    let f = fired.clone();
    let _af = child.after_func(move || f.store(true, Ordering::SeqCst));
    drop(child);
    drop(ctx.clone());
    assert!(!ctx.is_done());
    assert!(!fired.load(Ordering::SeqCst));
    drop(ctx);
    cancel.cancel();
    assert!(
        fired.load(Ordering::SeqCst),
        "the child lived on and was cancelled"
    );
}

// ---- C6 -------------------------------------------------------------------

#[test]
fn c6_cancelled_or_dropped_children_are_unlinked() {
    let (parent, _cancel) = Context::background().with_cancel();
    let (a, cancel_a) = parent.with_cancel();
    let (b, cancel_b) = parent.with_cancel();
    let (c, cancel_c) = parent.with_value(3u8).with_timeout(Duration::from_secs(60));
    assert_eq!(parent.__stats().children, 3);
    cancel_b.cancel();
    assert_eq!(parent.__stats().children, 2);
    drop(cancel_a); // drop = cancel
    assert_eq!(parent.__stats().children, 1);
    drop((a, b, c, cancel_c));
    let s = parent.__stats();
    assert_eq!(s.children, 0);
    assert!(
        !s.holds_extra,
        "a parent with no children holds no child list"
    );
}

#[test]
fn c6_many_children_of_a_long_lived_parent_leave_nothing_behind() {
    let (parent, _cancel) = Context::background().with_cancel();
    let (_long, _long_cancel) = parent.with_cancel();
    for _ in 0..scaled(100_000) {
        let (c, k) = parent.with_cancel();
        let (_gc, _gk) = c.with_cancel();
        drop(k);
    }
    assert_eq!(parent.__stats().children, 1);
}

// ---- C7 -------------------------------------------------------------------

#[test]
fn c7_deadline_is_the_earlier_of_own_and_parents() {
    let now = Instant::now();
    let (p, _c1) = Context::background().with_deadline(now + Duration::from_secs(10));
    let (later, _c2) = p.with_deadline(now + Duration::from_secs(20));
    let (earlier, _c3) = p.with_deadline(now + Duration::from_secs(5));
    assert_eq!(p.deadline(), Some(now + Duration::from_secs(10)));
    assert_eq!(later.deadline(), Some(now + Duration::from_secs(10)));
    assert_eq!(earlier.deadline(), Some(now + Duration::from_secs(5)));
    assert_eq!(
        earlier.with_value(1u8).with_cancel().0.deadline(),
        earlier.deadline()
    );
}

#[test]
fn c7_a_past_deadline_is_done_at_once() {
    let past = Instant::now() - Duration::from_millis(1);
    let (ctx, _c) = Context::background().with_deadline(past);
    assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
    assert_eq!(ctx.deadline(), Some(past));
}

#[test]
fn c7_deadline_fires_without_anyone_polling() {
    let (ctx, _c) = Context::background().with_timeout(Duration::from_millis(20));
    let (child, _cc) = ctx.with_value(1u8).with_cancel();
    let (tx, rx) = mpsc::channel();
    let child2 = child.clone();
    let _af = child.after_func(move || {
        tx.send((child2.err(), Instant::now())).unwrap();
    });
    // Nobody calls is_done()/err() on these contexts: only the timer can fire it.
    let (err, _) = rx
        .recv_timeout(EVENTUALLY)
        .expect("the deadline never fired");
    assert_eq!(err, Some(Error::DeadlineExceeded));
    assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
    assert_eq!(child.err(), Some(Error::DeadlineExceeded));
}

#[test]
fn c7_cancel_before_the_deadline_gives_canceled() {
    let (ctx, cancel) = Context::background().with_timeout(Duration::from_secs(60));
    cancel.cancel();
    assert_eq!(ctx.err(), Some(Error::Canceled));
}

#[tokio::test]
async fn c7_done_resolves_when_the_deadline_passes() {
    let (ctx, _c) = Context::background().with_timeout(Duration::from_millis(10));
    tokio::time::timeout(EVENTUALLY, ctx.done())
        .await
        .expect("deadline never woke done()");
    assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
}

// ---- C8 -------------------------------------------------------------------

#[test]
fn c8_huge_timeouts_saturate() {
    for t in [
        Duration::MAX,
        Duration::from_secs(u64::MAX),
        Duration::from_secs(1 << 40),
    ] {
        let (ctx, _c) = Context::background().with_timeout(t);
        assert!(!ctx.is_done());
        assert_eq!(ctx.deadline(), None);
        let (_ctx, _c) = Context::background().with_timeout_cause(t, MyErr("x"));
    }
    let (ctx, _c) = Context::background().with_timeout(Duration::from_secs(3600));
    let d = ctx.deadline().unwrap();
    assert!(d > Instant::now() + Duration::from_secs(3590));
    let (ctx, _c) = Context::background().with_timeout(Duration::ZERO);
    assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
}

// ---- C9 -------------------------------------------------------------------

#[derive(Debug, PartialEq)]
struct UserId(u64);
#[derive(Debug, PartialEq)]
struct TraceId(&'static str);

#[test]
fn c9_nearest_value_wins_and_values_do_not_cancel() {
    let root = Context::background().with_value(UserId(1));
    let (mid, cancel) = root.with_value(TraceId("t")).with_cancel();
    let leaf = mid.with_value(UserId(2));
    assert_eq!(leaf.value::<UserId>(), Some(&UserId(2)));
    assert_eq!(leaf.value::<TraceId>(), Some(&TraceId("t")));
    assert_eq!(
        mid.value::<UserId>(),
        Some(&UserId(1)),
        "the parent is unchanged"
    );
    assert_eq!(root.value::<TraceId>(), None);
    assert_eq!(leaf.value::<String>(), None);
    assert!(!leaf.is_done());
    drop(leaf.with_value(9u8)); // adding a value cancels nothing
    assert!(!mid.is_done());
    cancel.cancel();
    assert!(leaf.is_done(), "a value node follows its cancelable parent");
    assert_eq!(
        leaf.value::<UserId>(),
        Some(&UserId(2)),
        "values outlive cancellation"
    );
}

// ---- C10 ------------------------------------------------------------------

#[test]
fn c10_without_cancel_keeps_values_and_is_never_done() {
    let (ctx, cancel) = Context::background()
        .with_value(UserId(5))
        .with_timeout(Duration::from_millis(1));
    let detached = ctx.without_cancel();
    assert_eq!(detached.deadline(), None);
    assert_eq!(detached.value::<UserId>(), Some(&UserId(5)));
    let (under, _c) = detached.with_cancel();
    cancel.cancel();
    // past the parent's deadline as well (an event: the clock passing it)
    let deadline = ctx.deadline().unwrap();
    while Instant::now() <= deadline {
        thread::yield_now();
    }
    assert!(ctx.is_done());
    assert!(!detached.is_done());
    assert_eq!(detached.err(), None);
    assert!(!under.is_done());
    let mut done = pin!(detached.done());
    assert!(poll_once(done.as_mut()).is_pending());
}

// ---- C11 ------------------------------------------------------------------

#[test]
fn c11_cancel_with_cause_and_without() {
    let (ctx, cancel) = Context::background().with_cancel();
    assert!(ctx.cause().is_none());
    cancel.cancel_with_cause(MyErr("shutting down"));
    assert_eq!(ctx.err(), Some(Error::Canceled));
    let cause = ctx.cause().unwrap();
    assert_eq!(cause.downcast_ref::<MyErr>().unwrap().0, "shutting down");

    let (ctx, cancel) = Context::background().with_cancel();
    cancel.cancel();
    let cause = ctx.cause().unwrap();
    assert_eq!(cause.downcast_ref::<Error>(), Some(&Error::Canceled));
}

#[test]
fn c11_deadline_cause_is_reported_when_the_deadline_fires() {
    let (ctx, _c) =
        Context::background().with_timeout_cause(Duration::from_millis(5), MyErr("slow backend"));
    let (child, _cc) = ctx.with_cancel();
    let (tx, rx) = mpsc::channel();
    let _af = child.after_func(move || tx.send(()).unwrap());
    rx.recv_timeout(EVENTUALLY).unwrap();
    assert_eq!(child.err(), Some(Error::DeadlineExceeded));
    assert_eq!(cause_str(&ctx), "slow backend");
    assert_eq!(cause_str(&child), "slow backend");

    let past = Instant::now() - Duration::from_secs(1);
    let (ctx, _c) = Context::background().with_deadline_cause(past, MyErr("already late"));
    assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
    assert_eq!(cause_str(&ctx), "already late");

    let (ctx, cancel) = Context::background()
        .with_deadline_cause(Instant::now() + Duration::from_secs(60), MyErr("unused"));
    cancel.cancel();
    assert_eq!(ctx.err(), Some(Error::Canceled));
    assert_eq!(cause_str(&ctx), "context canceled");
}

// ---- C12 ------------------------------------------------------------------

#[test]
fn c12_after_func_runs_once_after_done_and_sees_the_whole_tree_done() {
    let (ctx, cancel) = Context::background().with_cancel();
    let (mid, _m) = ctx.with_cancel();
    let (deep, _k) = mid.with_value(1u8).with_cancel();
    assert!(!deep.is_done());
    let runs = Arc::new(AtomicUsize::new(0));
    let (r, d) = (runs.clone(), deep.clone());
    let saw_done = Arc::new(AtomicBool::new(false));
    let s = saw_done.clone();
    let f = ctx.after_func(move || {
        r.fetch_add(1, Ordering::SeqCst);
        s.store(d.is_done(), Ordering::SeqCst);
    });
    assert_eq!(runs.load(Ordering::SeqCst), 0);
    cancel.cancel();
    cancel.cancel();
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert!(
        saw_done.load(Ordering::SeqCst),
        "ran before the descendants were marked"
    );
    assert!(!f.stop());
}

#[test]
fn c12_after_func_on_a_done_context_runs_at_once() {
    let (ctx, cancel) = Context::background().with_cancel();
    cancel.cancel();
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let f = ctx.after_func(move || r.store(true, Ordering::SeqCst));
    assert!(ran.load(Ordering::SeqCst));
    assert!(!f.stop());
}

#[test]
fn c12_stop_returns_true_iff_it_stopped_f() {
    let (ctx, cancel) = Context::background().with_cancel();
    let f = ctx.after_func(|| panic!("stopped callbacks never run"));
    assert!(f.stop());
    assert!(!f.stop());
    cancel.cancel();
    assert_eq!(ctx.__stats().after_funcs, 0);
    // never-done context: stop() stops it
    let f = Context::background().after_func(|| ());
    assert!(f.stop());
}

#[test]
fn c12_stop_racing_cancel_runs_f_exactly_when_stop_says_false() {
    for _ in 0..200 {
        let (ctx, cancel) = Context::background().with_cancel();
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        let f = ctx.after_func(move || r.store(true, Ordering::SeqCst));
        let t = thread::spawn(move || cancel.cancel());
        let stopped = f.stop();
        t.join().unwrap();
        assert_eq!(stopped, !ran.load(Ordering::SeqCst));
    }
}

#[test]
fn c12_after_func_may_reenter_the_tree() {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let (root, cancel) = Context::background().with_cancel();
        let (sibling, cancel_sibling) = root.with_cancel();
        let (ctx, _k) = root.with_cancel();
        let r = root.clone();
        let _f = ctx.after_func(move || {
            cancel_sibling.cancel(); // another node's lock
            let (c, k) = r.with_cancel(); // the canceled parent's lock
            assert!(c.is_done());
            drop(k);
        });
        cancel.cancel();
        tx.send(sibling.is_done()).unwrap();
    });
    assert_eq!(
        rx.recv_timeout(EVENTUALLY),
        Ok(true),
        "deadlock or lost callback"
    );
}

#[test]
fn c12_a_panicking_after_func_does_not_poison_the_tree() {
    let (ctx, cancel) = Context::background().with_cancel();
    let other = Arc::new(AtomicBool::new(false));
    let o = other.clone();
    let _a = ctx.after_func(|| panic!("boom"));
    let _b = ctx.after_func(move || o.store(true, Ordering::SeqCst));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cancel.cancel()));
    assert!(r.is_err(), "the panic is re-raised to the canceller");
    assert!(other.load(Ordering::SeqCst), "the other callback still ran");
    assert!(ctx.is_done());
    let (c, k) = ctx.with_cancel();
    assert!(c.is_done());
    drop(k);
    let (root, k) = Context::background().with_cancel();
    let _x = root.after_func(|| ());
    k.cancel();
    assert!(root.is_done());
}

// ---- C13 ------------------------------------------------------------------

#[test]
fn c13_done_registers_once_and_deregisters_on_drop() {
    let (ctx, cancel) = Context::background().with_cancel();
    {
        let mut d = pin!(ctx.done());
        assert!(poll_once(d.as_mut()).is_pending());
        assert!(poll_once(d.as_mut()).is_pending());
        assert_eq!(ctx.__stats().waiters, 1, "same task, one registration");
        let other = Waker::from(Arc::new(CountingWaker::default()));
        assert!(d
            .as_mut()
            .poll(&mut TaskCx::from_waker(&other))
            .is_pending());
        assert_eq!(ctx.__stats().waiters, 1, "a new waker replaces the old one");
    }
    assert_eq!(
        ctx.__stats().waiters,
        0,
        "dropping Done leaves nothing registered"
    );
    cancel.cancel();
    let mut d = pin!(ctx.done());
    assert!(
        poll_once(d.as_mut()).is_ready(),
        "resolves at once when done"
    );
}

#[test]
fn c13_one_cancel_wakes_every_waiter() {
    let (ctx, cancel) = Context::background().with_cancel();
    let wakers: Vec<_> = (0..100)
        .map(|_| Arc::new(CountingWaker::default()))
        .collect();
    let mut futs: Vec<_> = (0..100).map(|_| Box::pin(ctx.done())).collect();
    for (f, w) in futs.iter_mut().zip(&wakers) {
        let w = Waker::from(w.clone());
        assert!(f.as_mut().poll(&mut TaskCx::from_waker(&w)).is_pending());
    }
    cancel.cancel();
    assert!(wakers.iter().all(|w| w.0.load(Ordering::SeqCst) == 1));
    assert!(futs.iter_mut().all(|f| poll_once(f.as_mut()).is_ready()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c13_many_tasks_parked_on_done_all_wake() {
    let (ctx, cancel) = Context::background().with_cancel();
    let parked = Arc::new(tokio::sync::Semaphore::new(0));
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let ctx = ctx.clone();
            let parked = parked.clone();
            tokio::spawn(async move {
                let mut d = pin!(ctx.done());
                std::future::poll_fn(|cx| {
                    let p = d.as_mut().poll(cx);
                    if p.is_pending() {
                        parked.add_permits(1);
                    }
                    Poll::Ready(())
                })
                .await;
                d.await;
            })
        })
        .collect();
    let _all = parked.acquire_many(1000).await.unwrap();
    cancel.cancel();
    for t in tasks {
        tokio::time::timeout(EVENTUALLY, t)
            .await
            .expect("a waiter was not woken")
            .unwrap();
    }
}

// ---- C14 ------------------------------------------------------------------

struct DropFlag(Arc<AtomicBool>);
impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn c14_run_is_a_biased_race() {
    let (ctx, cancel) = Context::background().with_cancel();
    assert_eq!(ctx.run(async { 7 }).await, Ok(7));

    // pending future, context ends: Err, and the future is dropped
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = DropFlag(dropped.clone());
    let pending = async move {
        let _f = flag;
        std::future::pending::<()>().await
    };
    let ctx2 = ctx.clone();
    let (r, ()) = tokio::join!(ctx2.run(pending), async { cancel.cancel() });
    assert_eq!(r, Err(Error::Canceled));
    assert!(dropped.load(Ordering::SeqCst));

    // already done: the future is never polled
    let polled = Arc::new(AtomicBool::new(false));
    let p = polled.clone();
    let r = ctx
        .run(std::future::poll_fn(move |_| {
            p.store(true, Ordering::SeqCst);
            Poll::Ready(1)
        }))
        .await;
    assert_eq!(r, Err(Error::Canceled));
    assert!(!polled.load(Ordering::SeqCst));

    // a never-done context is the plain future
    assert_eq!(Context::background().run(async { 3 }).await, Ok(3));
}

#[tokio::test]
async fn c14_run_reports_the_deadline() {
    let (ctx, _c) = Context::background().with_timeout(Duration::from_millis(10));
    let r = ctx.run(tokio::time::sleep(Duration::from_secs(60))).await;
    assert_eq!(r, Err(Error::DeadlineExceeded));
}

#[tokio::test]
async fn c14_run_leaves_no_registration_behind() {
    let (ctx, _c) = Context::background().with_cancel();
    for _ in 0..10 {
        assert_eq!(ctx.run(tokio::task::yield_now()).await, Ok(()));
    }
    assert_eq!(ctx.__stats().waiters, 0);
}

// ---- C15 ------------------------------------------------------------------

#[test]
fn c15_works_without_tokio() {
    let (ctx, cancel) = Context::background().with_cancel();
    let t = thread::spawn(move || cancel.cancel());
    futures_executor::block_on(ctx.done());
    t.join().unwrap();
    assert!(ctx.is_done());

    // a deadline fires with no runtime anywhere on this thread
    let (ctx, _c) = Context::background().with_timeout(Duration::from_millis(10));
    let r = futures_executor::block_on(ctx.run(std::future::pending::<()>()));
    assert_eq!(r, Err(Error::DeadlineExceeded));
}

// ---- C16 ------------------------------------------------------------------

#[test]
fn c16_debug_shows_kind_state_and_deadline_but_no_values() {
    #[allow(dead_code)]
    struct Secret(&'static str);
    let bg = format!("{:?}", Context::background());
    assert!(
        bg.contains("background") && bg.contains("done: false") && bg.contains("deadline: None")
    );
    assert!(format!("{:?}", Context::todo()).contains("todo"));
    let (c, cancel) = Context::background().with_cancel();
    assert!(format!("{c:?}").contains("\"cancel\""));
    cancel.cancel();
    assert!(format!("{c:?}").contains("done: true"));
    let (d, _k) = Context::background().with_timeout(Duration::from_secs(9));
    let s = format!("{d:?}");
    assert!(s.contains("\"deadline\"") && s.contains("deadline: Some"));
    let v = Context::background().with_value(Secret("hunter2"));
    let s = format!("{v:?}");
    assert!(s.contains("\"value\"") && s.contains("Secret"));
    assert!(!s.contains("hunter2"), "{s}");
    assert!(format!("{:?}", v.without_cancel()).contains("without-cancel"));
}
