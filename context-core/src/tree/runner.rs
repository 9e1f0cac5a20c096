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
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

// Loom's primitives under `--cfg loom`, for the models at the end.
#[cfg(loom)]
use loom::{
    sync::atomic::{AtomicU64, Ordering},
    sync::{Condvar, Mutex, MutexGuard},
    thread,
};
#[cfg(not(loom))]
use std::{
    sync::atomic::{AtomicU64, Ordering},
    sync::{Condvar, Mutex, MutexGuard, OnceLock},
    thread,
};

use crate::tree::{caught, Fire};

/// What a runner thread holds on to: the process's runner, or (in a loom
/// model, where nothing may outlive one execution) a runner of its own.
#[cfg(not(loom))]
type Handle = &'static Runner;
#[cfg(loom)]
type Handle = Arc<Runner>;

/// How long the queue may stand still behind a running callback before a
/// thread is added.
pub(crate) const STALL: Duration = Duration::from_millis(5);
/// How long a spare thread waits for work before it ends (shorter in the
/// unit tests, which watch one end).
#[cfg(not(test))]
const IDLE: Duration = Duration::from_secs(10);
#[cfg(test)]
const IDLE: Duration = Duration::from_millis(100);
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
    /// Threads spawned that have not yet taken the lock: neither idle nor
    /// busy, and about to look at the queue (a loom model caught
    /// `supervise` adding a third thread while the second was starting).
    starting: usize,
    /// `started` when the timer last saw the queue move, and when.
    seen: (u64, Instant),
    /// Loom models end their threads (a loom condvar never times out) and
    /// join them.
    #[cfg(loom)]
    stop: bool,
    #[cfg(loom)]
    threads_spawned: Vec<thread::JoinHandle<()>>,
}

#[cfg(not(loom))]
fn runner() -> &'static Runner {
    static RUNNER: OnceLock<Runner> = OnceLock::new();
    RUNNER.get_or_init(Runner::new)
}

/// No code of ours panics while holding this lock, and callbacks never run
/// under it: a poisoned lock still guards consistent data.
fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Queues `callbacks` to run on the runner's threads.
#[cfg(not(loom))]
pub(crate) fn submit(callbacks: Vec<Arc<dyn Fire>>) {
    Runner::submit(&runner(), callbacks);
}

/// Adds a thread if the queue has stood still for `STALL` behind running
/// callbacks. Returns how soon to look again: `None` while nothing waits.
#[cfg(not(loom))]
pub(crate) fn supervise() -> Option<Duration> {
    Runner::supervise(&runner(), Instant::now())
}

impl Runner {
    fn new() -> Runner {
        Runner {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                threads: 0,
                idle: 0,
                starting: 0,
                seen: (0, Instant::now()),
                #[cfg(loom)]
                stop: false,
                #[cfg(loom)]
                threads_spawned: Vec::new(),
            }),
            work: Condvar::new(),
            started: AtomicU64::new(0),
        }
    }

    fn submit(r: &Handle, callbacks: Vec<Arc<dyn Fire>>) {
        if callbacks.is_empty() {
            return;
        }
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

    fn supervise(r: &Handle, now: Instant) -> Option<Duration> {
        let mut st = lock(&r.state);
        if st.queue.is_empty() {
            return None;
        }
        let started = r.started.load(Ordering::Acquire);
        if started != st.seen.0 {
            st.seen = (started, now);
        } else if now.duration_since(st.seen.1) >= STALL && st.all_busy() {
            spawn(r, &mut st);
            st.seen.1 = now;
        }
        Some(STALL)
    }
}

impl State {
    /// Every thread is running a callback (none idle, none starting), and
    /// one more may be added.
    fn all_busy(&self) -> bool {
        self.idle == 0 && self.starting == 0 && self.threads < MAX_THREADS
    }
}

fn spawn(r: &Handle, st: &mut State) {
    let r = Handle::clone(r);
    let spawned = thread::Builder::new()
        .name("context-callbacks".into())
        .spawn(move || r.work());
    // Out of threads: the ones there are go on with the queue.
    if let Ok(_handle) = spawned {
        st.threads += 1;
        st.starting += 1;
        #[cfg(loom)]
        st.threads_spawned.push(_handle);
    }
}

impl Runner {
    fn work(&self) {
        let mut st = lock(&self.state);
        st.starting -= 1;
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
            #[cfg(loom)]
            if st.stop {
                return;
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

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_thread_is_added_only_when_every_one_is_busy_and_never_past_the_bound() {
        let r = Runner::new();
        let mut st = lock(&r.state);
        st.threads = MAX_THREADS - 1;
        assert!(st.all_busy(), "one more fits");
        st.threads = MAX_THREADS;
        assert!(!st.all_busy(), "the bound is reached");
        st.threads = 2;
        st.idle = 1;
        assert!(!st.all_busy(), "an idle thread takes the next callback");
        st.idle = 0;
        st.starting = 1;
        assert!(!st.all_busy(), "a starting thread takes the next callback");
    }

    /// An after-func that blocks until its gate opens.
    struct Gate(Mutex<std::sync::mpsc::Receiver<()>>);

    impl Fire for Gate {
        fn fire(&self) {
            let _ = self.0.lock().unwrap().recv();
        }
    }

    struct Quick(std::sync::atomic::AtomicBool);

    impl Fire for Quick {
        fn fire(&self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    fn eventually(what: &str, cond: impl Fn() -> bool) {
        let until = Instant::now() + Duration::from_secs(10);
        while !cond() {
            assert!(Instant::now() < until, "{what}");
            thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn a_blocked_callback_gets_a_second_thread_which_ends_when_idle_and_the_first_stays() {
        let r: Handle = Box::leak(Box::new(Runner::new()));
        let threads = || lock(&r.state).threads;
        let (open, gate) = std::sync::mpsc::channel();
        let quick = Arc::new(Quick(std::sync::atomic::AtomicBool::new(false)));
        Runner::submit(&r, vec![Arc::new(Gate(Mutex::new(gate))), quick.clone()]);
        eventually("the first callback starts", || {
            r.started.load(Ordering::Acquire) == 1 && lock(&r.state).starting == 0
        });
        assert_eq!(threads(), 1);
        // The queue stands still behind the blocked one: a thread is added.
        let t0 = Instant::now();
        Runner::supervise(&r, t0);
        Runner::supervise(&r, t0 + STALL);
        assert_eq!(threads(), 2);
        eventually("the second thread runs the quick one", || {
            quick.0.load(Ordering::SeqCst)
        });
        // Idle for `IDLE`, the spare thread ends; the blocked one is still
        // there, and stays once unblocked and idle too: one thread is kept.
        eventually("the spare thread ends", || threads() == 1);
        open.send(()).unwrap();
        eventually("the first thread is idle", || lock(&r.state).idle == 1);
        thread::sleep(IDLE * 3);
        assert_eq!(threads(), 1, "the last thread never ends");
    }
}

/// Loom models of the runner: `RUSTFLAGS="--cfg loom" cargo test -p
/// context-core --lib --release runner`. Every interleaving of submitters,
/// runner threads and the timer's `supervise` over the real code.
#[cfg(all(test, loom))]
mod models {
    use std::sync::Arc;
    use std::time::Instant;

    use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use loom::sync::Notify;
    use loom::thread;

    use super::{lock, Runner, STALL};
    use crate::tree::Fire;

    /// A go-ahead: loom's `Notify` may wake spuriously, the flag may not.
    type Go = Arc<(AtomicBool, Notify)>;

    /// Counts its runs; optionally waits for a go-ahead first (a blocked
    /// after-func).
    struct Count(Arc<AtomicUsize>, Option<Go>);
    impl Fire for Count {
        fn fire(&self) {
            if let Some(go) = &self.1 {
                while !go.0.load(Ordering::Acquire) {
                    go.1.wait();
                }
            }
            self.0.fetch_add(1, Ordering::AcqRel);
        }
    }

    fn count(ran: &Arc<AtomicUsize>) -> Arc<dyn Fire> {
        Arc::new(Count(ran.clone(), None))
    }

    /// Ends the runner's threads once the queue is empty, and joins them.
    fn stop(r: &Arc<Runner>) -> usize {
        let mut st = lock(&r.state);
        st.stop = true;
        let threads = std::mem::take(&mut st.threads_spawned);
        drop(st);
        r.work.notify_all();
        let n = threads.len();
        for t in threads {
            t.join().unwrap();
        }
        n
    }

    /// Two submitters racing each other and the runner thread (started by
    /// whichever comes first, going idle, woken): each callback runs once,
    /// without the help of `stop`'s wake (a lost wake-up never ends the
    /// wait below), and one thread is started.
    #[test]
    fn racing_submits_run_every_callback_once() {
        let mut model = loom::model::Builder::new();
        model.preemption_bound = Some(3);
        model.check(|| {
            let r = Arc::new(Runner::new());
            let ran = Arc::new(AtomicUsize::new(0));
            let (r2, ran2) = (r.clone(), ran.clone());
            let t = thread::spawn(move || Runner::submit(&r2, vec![count(&ran2)]));
            Runner::submit(&r, vec![count(&ran)]);
            t.join().unwrap();
            while ran.load(Ordering::Acquire) < 2 {
                thread::yield_now();
            }
            assert_eq!(stop(&r), 1, "one runner thread");
            assert_eq!(ran.load(Ordering::Acquire), 2);
            let st = lock(&r.state);
            assert!(st.queue.is_empty());
            assert_eq!(st.idle, 0);
        });
    }

    /// A callback blocked for good (until the end of the model) does not
    /// hold up the one queued behind it: the timer's `supervise`, called as
    /// time passes, adds a thread, which runs it.
    #[test]
    fn a_blocked_callback_gets_a_second_thread_for_the_queue() {
        // The timer's polling loop makes the space large: bound preemptions
        // (2 already finds the third thread that `starting` prevents).
        let mut model = loom::model::Builder::new();
        model.preemption_bound = Some(3);
        model.check(|| {
            let r = Arc::new(Runner::new());
            let (blocked, after) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
            let go: Go = Arc::new((AtomicBool::new(false), Notify::new()));
            Runner::submit(&r, vec![Arc::new(Count(blocked.clone(), Some(go.clone())))]);
            Runner::submit(&r, vec![count(&after)]);
            let mut now = Instant::now();
            while after.load(Ordering::Acquire) == 0 {
                now += STALL;
                Runner::supervise(&r, now);
                thread::yield_now();
            }
            assert_eq!(
                blocked.load(Ordering::Acquire),
                0,
                "ran behind a blocked one"
            );
            go.0.store(true, Ordering::Release);
            go.1.notify();
            assert_eq!(stop(&r), 2, "a second thread was added");
            assert_eq!(blocked.load(Ordering::Acquire), 1);
        });
    }
}
