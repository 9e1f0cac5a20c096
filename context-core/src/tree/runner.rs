//! The threads that run the after-funcs of deadlines, so that the timer
//! thread never runs them itself: Go runs each `AfterFunc` on a goroutine of
//! its own, and one callback that sleeps, blocks on a lock or waits for
//! another context must not hold up every deadline of the process.
//!
//! The timer thread fires deadlines and wakes their waiters, then hands the
//! after-funcs here (`submit`). One thread (`context-callbacks`), started
//! on first use, runs them in order. If one runs for longer than `STALL`
//! while others wait in the queue, the timer thread (which looks at the
//! queue between deadlines, `supervise`) adds a thread, up to `MAX_THREADS`;
//! a thread beyond the first that has been idle for `IDLE` ends. So a burst
//! of quick callbacks costs no thread, and a blocked one costs one thread,
//! not everyone's deadlines. A callback that panics is caught (the panic
//! hook has printed it) and the thread goes on.
//!
//! After-funcs of an explicit `cancel()` still run on the cancelling thread
//! (see `AfterFunc`'s docs): this is only for the shared timer's.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use crate::tree::{caught, Fire};

/// How long the queue may stand still behind a running callback before a
/// thread is added.
pub(crate) const STALL: Duration = Duration::from_millis(5);
/// How long a spare thread waits for work before it ends.
const IDLE: Duration = Duration::from_secs(10);
/// A bound on threads, for a process whose callbacks all block for good.
const MAX_THREADS: usize = 128;

struct Runner {
    state: Mutex<State>,
    work: Condvar,
    /// Callbacks started so far: the timer compares it between looks to
    /// learn whether the queue moves.
    started: AtomicU64,
}

struct State {
    queue: VecDeque<Arc<dyn Fire>>,
    threads: usize,
    idle: usize,
    /// `started` when the timer last saw the queue move, and when.
    seen: (u64, Instant),
}

fn runner() -> &'static Runner {
    static RUNNER: OnceLock<Runner> = OnceLock::new();
    RUNNER.get_or_init(|| Runner {
        state: Mutex::new(State {
            queue: VecDeque::new(),
            threads: 0,
            idle: 0,
            seen: (0, Instant::now()),
        }),
        work: Condvar::new(),
        started: AtomicU64::new(0),
    })
}

/// No code of ours panics while holding this lock, and callbacks never run
/// under it: a poisoned lock still guards consistent data.
fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Queues `callbacks` to run on the runner's threads.
pub(crate) fn submit(callbacks: Vec<Arc<dyn Fire>>) {
    if callbacks.is_empty() {
        return;
    }
    let r = runner();
    let mut st = lock(&r.state);
    let was_empty = st.queue.is_empty();
    let added = callbacks.len();
    st.queue.extend(callbacks);
    if was_empty {
        // The stall clock starts now, not when the queue last moved.
        st.seen = (r.started.load(Ordering::Acquire), Instant::now());
    }
    if st.threads == 0 {
        spawn(r, &mut st);
    }
    let wake = st.idle.min(added);
    drop(st);
    for _ in 0..wake {
        r.work.notify_one();
    }
}

/// Adds a thread if the queue has stood still for `STALL` behind running
/// callbacks. Returns how soon to look again: `None` while nothing waits.
pub(crate) fn supervise() -> Option<Duration> {
    let r = runner();
    let mut st = lock(&r.state);
    if st.queue.is_empty() {
        return None;
    }
    let started = r.started.load(Ordering::Acquire);
    let now = Instant::now();
    if started != st.seen.0 {
        st.seen = (started, now);
    } else if now.duration_since(st.seen.1) >= STALL && st.idle == 0 && st.threads < MAX_THREADS {
        spawn(r, &mut st);
        st.seen.1 = now;
    }
    Some(STALL)
}

fn spawn(r: &'static Runner, st: &mut State) {
    let spawned = std::thread::Builder::new()
        .name("context-callbacks".into())
        .spawn(move || r.work());
    // Out of threads: the ones there are go on with the queue.
    if spawned.is_ok() {
        st.threads += 1;
    }
}

impl Runner {
    fn work(&self) {
        let mut st = lock(&self.state);
        loop {
            if let Some(f) = st.queue.pop_front() {
                drop(st);
                self.started.fetch_add(1, Ordering::AcqRel);
                // Reported by the panic hook; nothing to re-raise it to.
                let mut panic = None;
                caught(&mut panic, move || {
                    f.fire();
                    drop(f);
                });
                drop(panic);
                st = lock(&self.state);
                continue;
            }
            st.idle += 1;
            let (g, waited) = self
                .work
                .wait_timeout(st, IDLE)
                .unwrap_or_else(PoisonError::into_inner);
            st = g;
            st.idle -= 1;
            if waited.timed_out() && st.queue.is_empty() && st.threads > 1 {
                st.threads -= 1;
                return;
            }
        }
    }
}
