//! The one shared timer that fires deadlines: a background thread
//! (`context-timer`), started on the first deadline, and ordered maps of
//! the nodes that own a deadline. It works with or without a tokio runtime
//! and costs no task or thread per context. It wakes the waiters of the
//! deadlines it fires and hands their after-funcs to `runner.rs`, so that a
//! blocking after-func delays no other deadline. The callbacks of a deadline
//! that a reader noticed before the timer did go the same way, so that
//! `is_done()` never runs user code on the reader's thread. Nothing a
//! callback or a user value's drop does (panic included) stops the thread.
//!
//! Expired entries leave the maps `BATCH` at a time, each shard's lock
//! released in between: a million deadlines due at one instant cost other
//! threads at most one batch's wait.
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
//! means a scan is coming anyway: the thread decides 0 whenever an entry is
//! due, and takes the due ones out after it lets go of the locks.) Only the
//! timer thread ever holds more than one shard lock, so there is no lock
//! order to get wrong.
//!
//! Loom builds use `timer_loom.rs` instead, which has no thread.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::Duration;

use crate::sync::lock as lock_shard;
use crate::tree::deadline::{now_nanos, NO_DEADLINE};
use crate::tree::runner;
use crate::tree::{caught, spread, CancelNode, Fired, NodeRef};

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

/// How many expired entries the thread takes out of a shard under one hold
/// of its lock: a million deadlines due at once must not keep a thread that
/// arms or cancels a timeout waiting for the whole lot.
const BATCH: usize = 64;

impl Timer {
    fn run(&'static self) {
        let mut s = lock_sleep(&self.deferred);
        loop {
            let deferred = std::mem::take(&mut *s);
            let now = now_nanos();
            let mut next = NO_DEADLINE;
            let mut due = false;
            // Every shard at once, so that no insert slips between the look
            // and the decision below (see the module docs). It only looks:
            // expired entries are taken out later, in batches.
            let shards: [_; SHARDS] = std::array::from_fn(|i| lock_shard(&self.shards[i]));
            for m in &shards {
                match m.first_key_value() {
                    Some((k, _)) if k.0 <= now => due = true,
                    Some((k, _)) => next = next.min(k.0),
                    None => {}
                }
            }
            let busy = due || !deferred.is_empty();
            // Busy: it looks again right after, so nobody needs to wake it (0).
            let until = if busy { 0 } else { next };
            self.sleeping_until.store(until, Ordering::SeqCst);
            drop(shards);
            if busy {
                drop(s);
                for fired in deferred {
                    hand_off(fired);
                }
                if due {
                    self.expire(now);
                }
                s = lock_sleep(&self.deferred);
                continue;
            }
            // After-funcs waiting behind a blocked one: look again soon.
            let look = runner::supervise().map_or(u64::MAX, |d| d.as_nanos() as u64);
            s = if next == NO_DEADLINE && look == u64::MAX {
                self.wake
                    .wait(s)
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
            } else {
                let wait = Duration::from_nanos(next.saturating_sub(now_nanos()).min(look));
                match self.wake.wait_timeout(s, wait) {
                    Ok((g, _)) => g,
                    Err(p) => p.into_inner().0,
                }
            };
        }
    }

    /// Fires every deadline due at `now`, taking them out of each shard
    /// `BATCH` at a time and releasing the shard's lock in between.
    fn expire(&self, now: u64) {
        let mut batch = Vec::with_capacity(BATCH);
        for shard in &self.shards {
            loop {
                let mut m = lock_shard(shard);
                while batch.len() < BATCH {
                    match m.first_entry() {
                        Some(e) if e.key().0 <= now => batch.push(e.remove()),
                        _ => break,
                    }
                }
                drop(m);
                let full = batch.len() == BATCH;
                for node in batch.drain(..) {
                    // Firing may drop the last handle of a node, and so user
                    // values: a panic there must not end the thread.
                    let mut panic = None;
                    caught(&mut panic, || {
                        let fired = node.fire_deadline();
                        drop(node);
                        hand_off(fired);
                    });
                }
                if !full {
                    break;
                }
            }
        }
    }
}

/// The timer thread's part of a fired deadline: it wakes the waiters (a
/// waker that panics stops no other: the panic hook has reported it) and
/// hands the after-funcs to the runner, so that one that blocks holds up no
/// deadline (`runner.rs`).
pub(crate) fn hand_off(fired: Fired) {
    if fired.is_empty() {
        return;
    }
    let mut panic = None;
    let afters = fired.wake(&mut panic);
    runner::submit(afters);
}
