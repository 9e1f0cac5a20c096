//! The one shared timer that fires deadlines: a background thread
//! (`context-timer`), started on the first deadline, and ordered maps of
//! the nodes that own a deadline. It works with or without a tokio runtime
//! and costs no task or thread per context. Callbacks (wakers, after-funcs)
//! of a deadline that a reader noticed before the timer did also run there,
//! so that `is_done()` never runs user code on the reader's thread.
//!
//! # Why the maps are sharded, and how the thread still never oversleeps
//!
//! Every `with_timeout` inserts into a map and its cancel removes again, on
//! whatever thread serves the request; with one map behind one lock, every
//! request of a server would meet every other at that lock. So the entries
//! are spread over `SHARDS` maps by node address, each behind a spin lock
//! (`sync.rs`) held for one map operation and never around user code. The
//! thread sleeps on a separate std mutex (`deferred`) and condvar, which a scheduling
//! thread touches only when its deadline is earlier than the one the thread
//! sleeps until (`sleeping_until`, atomic).
//!
//! The thread decides how long to sleep while it holds every shard's lock
//! (and the sleep mutex), and stores its decision before it lets go. So an
//! insert is either before that scan, which sees it, or after it, and then
//! the inserter reads the decision the scan stored (or a later one) and
//! wakes the thread if its deadline is earlier. To wake it, it takes the
//! sleep mutex, which the thread holds from its scan until it waits, so the
//! call cannot come between the decision and the wait. (A decision of 0
//! means a scan is coming anyway.) Only the timer thread ever holds more
//! than one shard lock, so there is no lock order to get wrong.
//!
//! Loom builds use `timer_loom.rs` instead, which has no thread.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::Duration;

use crate::deadline::{now_nanos, NO_DEADLINE};
use crate::sync::lock as lock_shard;
use crate::tree::{spread, CancelNode, Fired, NodeRef};

/// Enough that a handful of threads rarely meet on one; each empty shard
/// costs 32 bytes, once per process.
const SHARDS: usize = 8;

/// Nodes that own a deadline, keyed by (deadline, address).
type Shard = crate::sync::Mutex<BTreeMap<(u64, usize), NodeRef>>;

struct Timer {
    shards: [Shard; SHARDS],
    /// When the thread will look at the shards next by itself (0: it is
    /// busy and will look again without being told; `NO_DEADLINE`: not until
    /// woken). An entry due no earlier needs no wake-up call, which would
    /// cost more than the rest of `with_timeout`.
    sleeping_until: AtomicU64,
    /// The thread's sleep lock. It guards the callbacks of deadlines that a
    /// reader noticed first, for the thread to run.
    deferred: Mutex<Vec<Fired>>,
    wake: Condvar,
}

fn key(node: &CancelNode) -> (u64, usize) {
    (node.deadline_nanos(), node as *const CancelNode as usize)
}

static TIMER: OnceLock<&'static Timer> = OnceLock::new();

fn timer() -> &'static Timer {
    TIMER.get_or_init(|| {
        let t: &'static Timer = Box::leak(Box::new(Timer {
            shards: std::array::from_fn(|_| Shard::default()),
            // The thread scans before it first sleeps.
            sleeping_until: AtomicU64::new(0),
            deferred: Mutex::new(Vec::new()),
            wake: Condvar::new(),
        }));
        std::thread::Builder::new()
            .name("context-timer".into())
            .spawn(move || t.run())
            .expect("context: cannot start the deadline timer thread");
        t
    })
}

fn lock_sleep(m: &Mutex<Vec<Fired>>) -> std::sync::MutexGuard<'_, Vec<Fired>> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Timer {
    fn shard(&self, addr: usize) -> &Shard {
        &self.shards[(spread(addr) >> (64 - SHARDS.trailing_zeros())) as usize]
    }

    /// Wakes the thread for something it does not know about yet.
    fn announce(&self, deferred: Option<Fired>) {
        let mut s = lock_sleep(&self.deferred);
        s.extend(deferred);
        drop(s);
        self.wake.notify_one();
    }
}

/// Arms `node`'s own deadline. If the node is already done by the time the
/// entry is in (a racing cancel removed nothing), the entry is taken out again.
pub(crate) fn schedule(node: &NodeRef) {
    let t = timer();
    let k = key(node);
    let shard = t.shard(k.1);
    let mut s = lock_shard(shard);
    s.insert(k, NodeRef::clone(node));
    if node.is_marked() {
        let stale = s.remove(&k);
        drop(s);
        drop(stale);
        return;
    }
    drop(s);
    // Read after the insert: see the module docs.
    if k.0 < t.sleeping_until.load(Ordering::SeqCst) {
        t.announce(None);
    }
}

/// Disarms `node`'s deadline (cancelled first, or fired).
pub(crate) fn unschedule(node: &CancelNode) {
    let Some(t) = TIMER.get() else { return };
    let k = key(node);
    let entry = lock_shard(t.shard(k.1)).remove(&k);
    drop(entry); // outside the shard's lock
}

/// Runs `fired` on the timer thread.
pub(crate) fn defer(fired: Fired) {
    timer().announce(Some(fired));
}

impl Timer {
    fn run(&'static self) {
        let mut s = lock_sleep(&self.deferred);
        loop {
            let deferred = std::mem::take(&mut *s);
            let now = now_nanos();
            let mut expired = Vec::new();
            let mut next = NO_DEADLINE;
            // Every shard at once, so that no insert slips between the scan
            // and the decision below (see the module docs).
            let mut shards: [_; SHARDS] = std::array::from_fn(|i| lock_shard(&self.shards[i]));
            for m in &mut shards {
                while let Some(entry) = m.first_entry() {
                    if entry.key().0 > now {
                        next = next.min(entry.key().0);
                        break;
                    }
                    expired.push(entry.remove());
                }
            }
            let busy = !deferred.is_empty() || !expired.is_empty();
            // Busy: it scans again right after the callbacks, so nobody
            // needs to wake it (0).
            let until = if busy { 0 } else { next };
            self.sleeping_until.store(until, Ordering::SeqCst);
            drop(shards);
            if busy {
                drop(s);
                for fired in deferred {
                    // A panicking callback was already reported by the panic
                    // hook; the timer carries on with the others.
                    drop(fired.run());
                }
                for node in expired {
                    drop(node.fire_deadline().run());
                }
                s = lock_sleep(&self.deferred);
                continue;
            }
            s = if next == NO_DEADLINE {
                self.wake
                    .wait(s)
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
            } else {
                let wait = Duration::from_nanos(next.saturating_sub(now_nanos()));
                match self.wake.wait_timeout(s, wait) {
                    Ok((g, _)) => g,
                    Err(p) => p.into_inner().0,
                }
            };
        }
    }
}
