//! Many threads build, cancel and drop random subtrees at once; afterwards
//! every context's state must be consistent (C2, C3, C4) and no node may be
//! left linked (C6).
#![cfg(not(loom))]

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::task::{Context as TaskCx, Waker};
use std::thread;
use std::time::Duration;

use context_core::{CancelFunc, Context, Error};

mod common;
use common::{CountingWaker, Rng};

/// A context made during the run, its parent, and how it was made: the
/// test's own bookkeeping, which must keep contexts to check them later.
// ctx-lint: allow(ctx-in-struct)
#[derive(Clone)]
struct Made {
    ctx: Context,
    parent: Context,
    kind: Kind,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Cancel,
    Value,
    WithoutCancel,
}

const THREADS: usize = 8;
/// Under Miri (which checks the dependencies' `unsafe` on our use of them)
/// every step is interpreted: fewer rounds, the same checks.
const ROUNDS: usize = if cfg!(miri) { 1_000 } else { 20_000 };
const POOL: usize = 512;

#[test]
fn c3_c4_c6_stress_eight_threads_random_subtrees() {
    let (root, root_cancel) = Context::background().with_cancel();
    let pool: Arc<Mutex<Vec<Made>>> = Arc::new(Mutex::new(vec![Made {
        ctx: root.clone(),
        parent: Context::background(),
        kind: Kind::Cancel,
    }]));
    let all: Arc<Mutex<Vec<Made>>> = Arc::default();

    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let pool = pool.clone();
            let all = all.clone();
            thread::spawn(move || {
                let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ ((t as u64 + 1) * 0x1234_5678));
                let mut mine: Vec<CancelFunc> = Vec::new();
                let mut errs: Vec<(Context, Error)> = Vec::new();
                for _ in 0..ROUNDS {
                    match rng.below(10) {
                        0..=4 => {
                            let parent = {
                                let p = pool.lock().unwrap();
                                p[rng.below(p.len())].ctx.clone()
                            };
                            let (ctx, kind) = match rng.below(5) {
                                0 => (parent.with_value(rng.next()), Kind::Value),
                                1 => (parent.without_cancel(), Kind::WithoutCancel),
                                2 => {
                                    let t = Duration::from_micros(rng.below(3000) as u64);
                                    let (c, k) = parent.with_timeout(t);
                                    mine.push(k);
                                    (c, Kind::Cancel)
                                }
                                _ => {
                                    let (c, k) = parent.with_cancel();
                                    mine.push(k);
                                    (c, Kind::Cancel)
                                }
                            };
                            let made = Made { ctx, parent, kind };
                            all.lock().unwrap().push(made.clone());
                            let mut p = pool.lock().unwrap();
                            if p.len() < POOL {
                                p.push(made);
                            } else {
                                let i = 1 + rng.below(POOL - 1); // keep the root
                                p[i] = made;
                            }
                        }
                        5..=7 if !mine.is_empty() => {
                            let k = mine.swap_remove(rng.below(mine.len()));
                            if rng.below(2) == 0 {
                                k.cancel();
                            } else {
                                drop(k);
                            }
                        }
                        _ => {
                            let ctx = {
                                let p = pool.lock().unwrap();
                                p[rng.below(p.len())].ctx.clone()
                            };
                            if let Some(e) = ctx.err() {
                                assert!(ctx.is_done());
                                errs.push((ctx, e));
                            }
                        }
                    }
                }
                // C4: an error, once seen, never changes
                for (ctx, e) in &errs {
                    assert_eq!(ctx.err(), Some(*e));
                }
                mine
            })
        })
        .collect();
    let survivors: Vec<Vec<CancelFunc>> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let all = all.lock().unwrap();
    assert!(all.len() > THREADS * ROUNDS / 3);

    // With every thread quiet: a done parent means a done child (C2/C3).
    for m in all.iter() {
        match m.kind {
            Kind::WithoutCancel => assert!(!m.ctx.is_done(), "C10"),
            _ if m.parent.is_done() => assert!(m.ctx.is_done(), "a child of a done parent is live"),
            _ => {}
        }
        if m.ctx.is_done() && m.kind == Kind::Cancel {
            assert_eq!(
                m.ctx.__stats().children,
                0,
                "a done node still links children"
            );
        }
    }

    // Drop every remaining CancelFunc: every cancelable context is done
    // and nothing is linked anywhere.
    drop(survivors);
    for m in all.iter() {
        if m.kind == Kind::Cancel {
            assert!(m.ctx.is_done(), "all cancel funcs dropped, yet live");
            assert_eq!(m.ctx.__stats().children, 0);
            assert_eq!(m.ctx.__stats().waiters, 0);
        }
    }
    assert_eq!(root.__stats().children, 0, "the root still links a child");
    assert!(!root.is_done());
    drop(root_cancel);
    assert!(root.is_done());
}

const HOT_ROUNDS: usize = if cfg!(miri) { 300 } else { 50_000 };

/// C2/C3/C6/C13 on one parent that every thread hammers at once, which is
/// the tree's lock under contention (a spin lock that yields: `src/sync.rs`).
/// Children are linked and unlinked while waiters register on the parent and
/// on the children; midway the parent is cancelled, and every child made
/// after that is born done. Nothing is left linked or registered.
#[test]
fn c2_c3_c6_eight_threads_on_one_hot_parent() {
    let (parent, cancel) = Context::background().with_cancel();
    let cancelled = Arc::new(AtomicBool::new(false));
    let rounds = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(Barrier::new(THREADS + 1));
    let waker = Waker::from(Arc::new(CountingWaker::default()));

    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let (parent, cancelled, rounds, start, waker) = (
                parent.clone(),
                cancelled.clone(),
                rounds.clone(),
                start.clone(),
                waker.clone(),
            );
            thread::spawn(move || {
                let mut cx = TaskCx::from_waker(&waker);
                start.wait();
                for i in 0..HOT_ROUNDS {
                    let was_cancelled = cancelled.load(Ordering::Acquire);
                    let (child, k) = parent.with_cancel();
                    if was_cancelled {
                        assert_eq!(child.err(), Some(Error::Canceled), "C2: born done");
                    }
                    if (i + t) % 4 == 0 {
                        let mut d = pin!(child.done());
                        let _ = d.as_mut().poll(&mut cx);
                    }
                    if (i + t) % 16 == 0 {
                        let mut d = pin!(parent.done());
                        let _ = d.as_mut().poll(&mut cx);
                    }
                    drop(k);
                    assert!(child.is_done(), "C5: dropping the CancelFunc cancels");
                    rounds.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();

    start.wait();
    // Cancel in the thick of it: once half the work is done.
    while rounds.load(Ordering::Relaxed) < THREADS * HOT_ROUNDS / 2 {
        thread::yield_now();
    }
    cancel.cancel();
    cancelled.store(true, Ordering::Release);
    for t in threads {
        t.join().unwrap();
    }
    assert!(parent.is_done());
    let s = parent.__stats();
    assert_eq!((s.children, s.waiters), (0, 0), "C6/C13: nothing left");
}

/// C4 where it is hardest: a reader notices a passed deadline on a node
/// while a cancel from above is on its way down to it (the deadline's owner
/// is already marked, the node not yet). Whatever the reader reports first
/// must be what `err()` says forever. The owner has many children so that
/// the cancel takes a while to get through them.
#[test]
fn c4_a_reader_racing_a_cancel_past_a_deadline_keeps_its_answer() {
    let mut rng = Rng(0x51ED_CAFE);
    let rounds = if cfg!(miri) { 20 } else { 3_000 };
    let mut seen = [0usize; 2];
    for _ in 0..rounds {
        let (top, cancel) = Context::background().with_cancel();
        let (owner, _k) = top.with_timeout(Duration::from_micros(rng.below(40) as u64));
        let kids: Vec<_> = (0..64).map(|_| owner.with_cancel()).collect();
        let watched = kids[rng.below(kids.len())].0.clone();
        let spin = rng.below(2_000);
        let first = thread::scope(|s| {
            let reader = s.spawn(|| loop {
                if let Some(e) = watched.err() {
                    return e;
                }
            });
            for _ in 0..spin {
                std::hint::spin_loop();
            }
            cancel.cancel();
            reader.join().unwrap()
        });
        assert_eq!(watched.err(), Some(first), "C4: err() changed");
        seen[usize::from(first == Error::Canceled)] += 1;
    }
    // Both outcomes occur, or the test did not race anything. (Under Miri
    // every deadline has passed before the cancel: interpreted code is slow.)
    if !cfg!(miri) {
        assert!(seen[0] > 0 && seen[1] > 0, "{seen:?}");
    }
}

/// The shared timer under load (C15). In each round 8 threads arm
/// deadlines 0-2 ms away in random order (so a new one is often earlier than
/// the one the timer sleeps until) and cancel some of them first; then all
/// wait until every after-func of the round has run, which leaves the timer
/// with nothing to do just as the next round arms more: the moment a wake-up
/// can be lost. Nobody reads the contexts, so only the timer can end them: a
/// deadline it misses (an insert it did not see, or a wake-up it slept
/// through) leaves an after-func unrun and the round times out.
#[test]
fn c15_deadlines_armed_from_eight_threads_all_fire() {
    const ROUNDS: usize = if cfg!(miri) { 3 } else { 300 };
    const PER_ROUND: usize = 5;
    let fired = Arc::new((Mutex::new(0usize), std::sync::Condvar::new()));
    let start = Barrier::new(THREADS);
    // The first failure; every thread then leaves at the next round's start.
    let failure = Mutex::new(None::<String>);
    thread::scope(|s| {
        for t in 0..THREADS {
            let (fired, start, failure) = (&fired, &start, &failure);
            s.spawn(move || {
                let mut rng = Rng(0x7153_0000 + t as u64);
                for round in 1..=ROUNDS {
                    start.wait();
                    if failure.lock().unwrap().is_some() {
                        return;
                    }
                    let mut keep = Vec::new();
                    for _ in 0..PER_ROUND {
                        let wait = Duration::from_micros(rng.below(2_000) as u64);
                        let (ctx, cancel) = Context::background().with_timeout(wait);
                        let fired = fired.clone();
                        // Dropping an `AfterFunc` does not stop it.
                        drop(ctx.after_func(move || {
                            *fired.0.lock().unwrap() += 1;
                            fired.1.notify_all();
                        }));
                        if rng.below(4) == 0 {
                            cancel.cancel(); // its after-func runs here
                        } else {
                            keep.push((ctx, cancel));
                        }
                    }
                    let target = round * THREADS * PER_ROUND;
                    let (n, wait) = fired
                        .1
                        .wait_timeout_while(fired.0.lock().unwrap(), Duration::from_secs(20), |n| {
                            *n < target
                        })
                        .unwrap();
                    let wrong = keep
                        .iter()
                        .find(|(ctx, _)| ctx.err() != Some(Error::DeadlineExceeded));
                    let problem = if wait.timed_out() {
                        Some(format!(
                            "round {round}: {} of {target} after-funcs ran in 20 s",
                            *n
                        ))
                    } else {
                        wrong.map(|(ctx, _)| format!("round {round}: err() is {:?}", ctx.err()))
                    };
                    drop(n);
                    if let Some(p) = problem {
                        failure.lock().unwrap().get_or_insert(p);
                    }
                }
            });
        }
    });
    if let Some(p) = failure.into_inner().unwrap() {
        panic!("{p}");
    }
}
