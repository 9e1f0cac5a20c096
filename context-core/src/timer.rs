//! The one shared timer that fires deadlines: a background thread
//! (`context-timer`), started on the first deadline, holding an ordered map
//! of the nodes that own a deadline. It works with or without a tokio
//! runtime and costs no task or thread per context. Callbacks (wakers,
//! after-funcs) of a deadline that a reader noticed before the timer did
//! also run there, so that `is_done()` never runs user code on the reader's
//! thread.
//!
//! Loom builds use `timer_loom.rs` instead, which has no thread.

use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::Duration;

use crate::deadline::{now_nanos, NO_DEADLINE};
use crate::tree::{CancelNode, Fired, NodeRef};

struct Timer {
    state: Mutex<TimerState>,
    wake: Condvar,
}

struct TimerState {
    /// Nodes that own a deadline, keyed by (deadline, address).
    due: BTreeMap<(u64, usize), NodeRef>,
    /// Callbacks of deadlines that a reader noticed first.
    deferred: Vec<Fired>,
    /// When the thread will look at `due` next by itself (`NO_DEADLINE`:
    /// not until notified). An entry due later needs no wake-up call: that
    /// syscall would cost more than the rest of `with_timeout`.
    sleeping_until: u64,
}

fn key(node: &CancelNode) -> (u64, usize) {
    (node.deadline_nanos(), node as *const CancelNode as usize)
}

static TIMER: OnceLock<&'static Timer> = OnceLock::new();

fn timer() -> &'static Timer {
    TIMER.get_or_init(|| {
        let t: &'static Timer = Box::leak(Box::new(Timer {
            state: Mutex::new(TimerState {
                due: BTreeMap::new(),
                deferred: Vec::new(),
                sleeping_until: NO_DEADLINE,
            }),
            wake: Condvar::new(),
        }));
        std::thread::Builder::new()
            .name("context-timer".into())
            .spawn(move || t.run())
            .expect("context: cannot start the deadline timer thread");
        t
    })
}

fn lock(m: &Mutex<TimerState>) -> std::sync::MutexGuard<'_, TimerState> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Arms `node`'s own deadline. If the node is already done by the time the
/// entry is in (a racing cancel removed nothing), the entry is taken out again.
pub(crate) fn schedule(node: &NodeRef) {
    let t = timer();
    let mut s = lock(&t.state);
    let k = key(node);
    let wake = k.0 < s.sleeping_until;
    if wake {
        s.sleeping_until = k.0;
    }
    s.due.insert(k, NodeRef::clone(node));
    if node.is_marked() {
        let stale = s.due.remove(&k);
        drop(s);
        drop(stale);
        return;
    }
    drop(s);
    if wake {
        t.wake.notify_one();
    }
}

/// Disarms `node`'s deadline (cancelled first, or fired).
pub(crate) fn unschedule(node: &CancelNode) {
    let Some(t) = TIMER.get() else { return };
    let entry = lock(&t.state).due.remove(&key(node));
    drop(entry); // outside the timer's lock
}

/// Runs `fired` on the timer thread.
pub(crate) fn defer(fired: Fired) {
    let t = timer();
    lock(&t.state).deferred.push(fired);
    t.wake.notify_one();
}

impl Timer {
    fn run(&'static self) {
        let mut s = lock(&self.state);
        loop {
            let deferred = std::mem::take(&mut s.deferred);
            let now = now_nanos();
            let mut expired = Vec::new();
            while let Some(entry) = s.due.first_entry() {
                if entry.key().0 > now {
                    break;
                }
                expired.push(entry.remove());
            }
            if !deferred.is_empty() || !expired.is_empty() {
                drop(s);
                for fired in deferred {
                    // A panicking callback was already reported by the panic
                    // hook; the timer carries on with the others.
                    drop(fired.run());
                }
                for node in expired {
                    drop(node.fire_deadline().run());
                }
                s = lock(&self.state);
                continue;
            }
            let next = s.due.first_key_value().map(|(&(d, _), _)| d);
            s.sleeping_until = next.unwrap_or(NO_DEADLINE);
            s = match next {
                None => self
                    .wake
                    .wait(s)
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
                Some(d) => {
                    let wait = Duration::from_nanos(d.saturating_sub(now));
                    match self.wake.wait_timeout(s, wait) {
                        Ok((g, _)) => g,
                        Err(p) => p.into_inner().0,
                    }
                }
            };
        }
    }
}
