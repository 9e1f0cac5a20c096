//! loom models of the tree's racy paths. Run with
//! `RUSTFLAGS="--cfg loom" cargo test -p context-core --test loom --release`.
//! Each model is small (two threads, a handful of nodes) so that loom can
//! explore every interleaving in seconds.
#![cfg(loom)]

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context as TaskCx, Waker};

use context_core::{Context, Error};
use loom::thread;

#[derive(Debug)]
struct E(u8);
impl std::fmt::Display for E {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "e{}", self.0)
    }
}
impl std::error::Error for E {}

mod common;
use common::CountingWaker;

/// C2/C3/C6: a child created while its parent is being cancelled is either
/// linked and then cancelled, or born cancelled; never live, never left linked.
#[test]
fn cancel_races_child_creation() {
    loom::model(|| {
        let (parent, cancel) = Context::background().with_cancel();
        let p = parent.clone();
        let t = thread::spawn(move || {
            let (child, k) = p.with_cancel();
            (child, k)
        });
        cancel.cancel();
        let (child, k) = t.join().unwrap();
        assert_eq!(child.err(), Some(Error::Canceled));
        assert_eq!(parent.__stats().children, 0);
        drop(k);
    });
}

/// C4/C6: a child cancelled by itself while its parent is cancelled: both
/// done, the child unlinked either way, its error `Canceled`.
#[test]
fn cancel_races_child_drop() {
    loom::model(|| {
        let (parent, cancel) = Context::background().with_cancel();
        let (a, cancel_a) = parent.with_cancel();
        let (_b, _cancel_b) = parent.with_cancel();
        let t = thread::spawn(move || drop(cancel_a));
        cancel.cancel();
        t.join().unwrap();
        assert_eq!(a.err(), Some(Error::Canceled));
        assert_eq!(parent.__stats().children, 0);
    });
}

/// C6: two siblings unlinking at once from a live parent.
#[test]
fn sibling_cancels_race_on_a_live_parent() {
    loom::model(|| {
        let (parent, _cancel) = Context::background().with_cancel();
        let (_a, cancel_a) = parent.with_cancel();
        let (_b, cancel_b) = parent.with_cancel();
        let t = thread::spawn(move || drop(cancel_a));
        drop(cancel_b);
        t.join().unwrap();
        assert_eq!(parent.__stats().children, 0);
        assert!(!parent.__stats().holds_extra);
    });
}

/// C13: a `done()` registering while the context is cancelled is either
/// ready, or registered and woken; nothing stays registered.
#[test]
fn cancel_races_done_registration() {
    loom::model(|| {
        let (ctx, cancel) = Context::background().with_cancel();
        let t = thread::spawn(move || cancel.cancel());
        let w = Arc::new(CountingWaker::default());
        let waker = Waker::from(w.clone());
        let mut d = pin!(ctx.done());
        let ready = d.as_mut().poll(&mut TaskCx::from_waker(&waker)).is_ready();
        t.join().unwrap();
        if !ready {
            assert_eq!(
                w.0.load(Ordering::SeqCst),
                1,
                "registered, then never woken"
            );
            assert!(d.as_mut().poll(&mut TaskCx::from_waker(&waker)).is_ready());
        }
        assert_eq!(ctx.__stats().waiters, 0);
    });
}

/// C13: a `done()` dropped while the context is cancelled leaves nothing
/// behind and is woken at most once.
#[test]
fn cancel_races_done_drop() {
    loom::model(|| {
        let (ctx, cancel) = Context::background().with_cancel();
        let (other, _k) = Context::background().with_cancel();
        let w = Arc::new(CountingWaker::default());
        let waker = Waker::from(w.clone());
        let c = ctx.clone();
        let w2 = waker.clone();
        let t = thread::spawn(move || {
            let mut d = Box::pin(c.done());
            let _ = d.as_mut().poll(&mut TaskCx::from_waker(&w2));
            drop(d);
        });
        cancel.cancel();
        t.join().unwrap();
        assert!(w.0.load(Ordering::SeqCst) <= 1);
        assert_eq!(ctx.__stats().waiters, 0);
        assert_eq!(other.__stats().waiters, 0);
    });
}

/// C4/C11: two cancels with different causes: one wins, for the node and
/// its child alike, and the loser changes nothing.
#[test]
fn two_cancels_with_different_causes() {
    loom::model(|| {
        let (ctx, cancel) = Context::background().with_cancel();
        let (child, _k) = ctx.with_cancel();
        let cancel = Arc::new(cancel);
        let c2 = cancel.clone();
        let t = thread::spawn(move || c2.cancel_with_cause(E(2)));
        cancel.cancel_with_cause(E(1));
        t.join().unwrap();
        let cause = ctx.cause().unwrap().to_string();
        assert!(cause == "e1" || cause == "e2");
        assert_eq!(child.cause().unwrap().to_string(), cause);
        assert_eq!(ctx.err(), Some(Error::Canceled));
    });
}

/// C12: `stop()` racing a cancel: the callback runs exactly when `stop()`
/// says it did not stop it.
#[test]
fn after_func_stop_races_cancel() {
    loom::model(|| {
        let (ctx, cancel) = Context::background().with_cancel();
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        let f = ctx.after_func(move || r.store(true, Ordering::SeqCst));
        let t = thread::spawn(move || cancel.cancel());
        let stopped = f.stop();
        t.join().unwrap();
        assert_eq!(stopped, !ran.load(Ordering::SeqCst));
        assert_eq!(ctx.__stats().after_funcs, 0);
    });
}

/// C4/C11: a cancel with a cause (under the lock) racing one without (the
/// lock-free path): exactly one wins, and what `err()`/`cause()` report is
/// that one's.
#[test]
fn cause_cancel_races_plain_cancel() {
    loom::model(|| {
        let (ctx, cancel) = Context::background().with_cancel();
        let cancel = Arc::new(cancel);
        let c2 = cancel.clone();
        let t = thread::spawn(move || c2.cancel());
        cancel.cancel_with_cause(E(1));
        t.join().unwrap();
        assert_eq!(ctx.err(), Some(Error::Canceled));
        let cause = ctx.cause().unwrap().to_string();
        assert!(cause == "e1" || cause == "context canceled", "{cause}");
    });
}

/// C12: an after-func registered while the context is cancelled runs
/// exactly once: at registration if the cancel won, by the cancel otherwise.
#[test]
fn after_func_registration_races_cancel() {
    loom::model(|| {
        let (ctx, cancel) = Context::background().with_cancel();
        let runs = Arc::new(AtomicUsize::new(0));
        let r = runs.clone();
        let c = ctx.clone();
        let t = thread::spawn(move || {
            c.after_func(move || {
                r.fetch_add(1, Ordering::SeqCst);
            })
        });
        cancel.cancel();
        let f = t.join().unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert!(!f.stop());
    });
}

/// C4 (invariant 4 in `tree.rs`): a reader notices that a deadline has
/// passed on a node whose deadline owner a cancel from above is reaching at
/// the same time. Whatever the reader reports first, `err()` keeps saying,
/// and a cancel never reads the clock. The clock is moved past the deadline
/// (loom builds have no timer thread).
#[test]
fn reader_noticing_a_passed_deadline_races_a_cancel_from_above() {
    loom::model(|| {
        context_core::__loom_set_clock_skew(std::time::Duration::ZERO);
        let (top, cancel) = Context::background().with_cancel();
        let (owner, _k) = top.with_timeout(std::time::Duration::from_secs(3600));
        let (node, _kn) = owner.with_cancel();
        let (_sibling, _ks) = owner.with_cancel();
        context_core::__loom_set_clock_skew(std::time::Duration::from_secs(7200));
        let watched = node.clone();
        let reader = thread::spawn(move || watched.err());
        cancel.cancel();
        let first = reader.join().unwrap().expect("past its deadline: done");
        assert_eq!(node.err(), Some(first), "err() changed");
        assert!(owner.is_done() && top.is_done());
    });
}
