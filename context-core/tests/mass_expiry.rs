//! A million deadlines due at one instant must not stall other threads
//! (issue 10, item 6; SPEC C7, C15): while the timer expires them, a
//! `with_timeout` + cancel and an `is_done()` on another thread stay fast.
//! Its own binary: nothing else runs beside it, so the worst call it sees
//! is the timer's doing, not another test's.
#![cfg(not(loom))]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use context_core::Context;

const N: usize = 1_000_000;
/// The contexts watched with an after-func, to learn when the timer is done.
const WATCHED: usize = 64;
/// The target is 1 ms, which a release build meets (the note of
/// issue 10 has the figures). A test cannot assert it: on this 2-core VM a
/// thread doing nothing but atomic loads is sometimes preempted for 8 ms.
/// This bound leaves room for that and still fails by far when the timer
/// holds its locks through the whole expiry (66 ms in a release build of
/// c44627f, several times that in a debug one).
const WORST: Duration = Duration::from_millis(50);

#[test]
fn c7_a_million_deadlines_at_one_instant_do_not_stall_other_threads() {
    let make = Instant::now();
    // Long enough to build them all first, in a debug build too.
    let at = make + Duration::from_secs(if cfg!(debug_assertions) { 6 } else { 2 });
    let mut keep = Vec::with_capacity(N);
    let (fired, fired_rx) = mpsc::channel();
    for i in 0..N {
        let (ctx, cancel) = Context::background().with_deadline(at);
        if i % (N / WATCHED) == 0 {
            let fired = fired.clone();
            std::mem::forget(ctx.after_func(move || fired.send(()).unwrap()));
        }
        keep.push(cancel);
    }
    assert!(
        Instant::now() < at,
        "building took {:?}: the deadline passed first",
        make.elapsed()
    );

    let stop = Arc::new(AtomicBool::new(false));
    let probe = {
        let stop = stop.clone();
        thread::spawn(move || {
            let (live, _keep) = Context::background().with_timeout(Duration::from_secs(3600));
            let mut worst = Duration::ZERO;
            let mut calls = 0u64;
            while !stop.load(Ordering::Acquire) {
                let t = Instant::now();
                let (c, k) = live.with_timeout(Duration::from_secs(60));
                k.cancel();
                drop(c);
                let cycle = t.elapsed();
                let t2 = Instant::now();
                assert!(!live.is_done());
                // Only while the deadlines expire: before, a slow call is
                // the machine's doing (preemption), not the timer's.
                if t >= at {
                    worst = worst.max(cycle).max(t2.elapsed());
                    calls += 1;
                }
            }
            (worst, calls)
        })
    };
    thread::sleep(at.saturating_duration_since(Instant::now()));
    let started = Instant::now();
    for _ in 0..WATCHED {
        fired_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the timer did not fire every watched deadline");
    }
    let expiry = started.elapsed();
    stop.store(true, Ordering::Release);
    let (worst, calls) = probe.join().unwrap();
    println!("expired {N} deadlines in about {expiry:?}; worst call on another thread {worst:?} over {calls} calls");
    assert!(
        worst <= WORST,
        "a call on another thread took {worst:?} while {N} deadlines expired"
    );
    drop(keep);
}
