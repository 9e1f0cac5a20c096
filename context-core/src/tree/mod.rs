//! The mechanism: one `CancelNode` per cancelable context (`with_cancel`,
//! `with_deadline`), linked to the nearest cancelable ancestor, and
//! everything that shares its lock protocol, one file each:
//!
//! - `deadline.rs`: how a deadline is stored in the node's word;
//! - `clock.rs`: which clock it is on (the real one, or tokio's paused one);
//! - `timer.rs`: the shared timer thread that fires deadlines (a stub under
//!   loom, `timer_loom.rs`), and `runner.rs`, the threads that run their
//!   after-funcs;
//! - `done.rs`: the waiters (`Done`, `OwnedDone`);
//! - `children.rs`: a parent's children beyond the first, in link order;
//! - `value.rs`: the value chain, freed by the same drop loop as the nodes.
//!
//! These lean on each other (the timer fires nodes, nodes arm the timer),
//! so they live in one module, and nothing outside it reaches in but
//! through the node's methods and the waiter types.
//!
//! # What a node holds, and who may touch it
//!
//! - `word` (atomic, `word.rs`) packs the state (`Live`, `Canceled`,
//!   `Expired`), the flags `INHERITED` (the state came from the parent, and
//!   so does the cause) and `HOLDS` (the node's lock may guard something),
//!   and the effective deadline (`NO_DEADLINE` for none). The deadline never
//!   changes. The state changes once, from `Live`. Readers (`is_done`,
//!   `err`) never lock.
//! - `HOLDS` is set (by CAS, under the lock, only while `Live`) before
//!   anything is added under the lock, and never cleared. A node without it
//!   is cancelled by one CAS of the state, without its lock: most nodes are
//!   leaves that nobody waits on, and this halves the cost of cancelling
//!   them. A node with it is cancelled under its lock, and then no CAS can
//!   race the store, since every fast-path CAS expects `HOLDS` clear.
//! - `parent` is immutable: the nearest cancelable ancestor. A context's
//!   values are not the node's business: the `Context` handle carries its
//!   nearest value node beside the node, which keeps a node (and its count)
//!   within 64 bytes with a waiter slot inline.
//! - `inner` (the lock, a spin lock: see `sync.rs`) guards the children,
//!   waiters, after-funcs and causes. A live node's lock holds its children;
//!   once done, its lists are empty (their buffers are kept until the node
//!   is freed) and nothing is ever added again.
//!
//! # Invariants
//!
//! 1. At most one tree lock is held at any time, so there is no lock order to
//!    get wrong. Propagation takes a node's children out under its lock, then
//!    releases it before it locks any child.
//! 2. Nothing runs user code under a lock: wakers, after-funcs, and even drops
//!    of wakers, causes and nodes happen after the lock is released. That is
//!    why a waker or after-func may re-enter the tree (create a child, cancel
//!    a sibling) without deadlocking; `register` clones the waker before it
//!    locks. A panicking waker or after-func does not stop the others.
//! 3. A parent's lists own its live children (a counted `NodeRef`), a child
//!    owns its parent (`NodeRef`). The cycle is broken when the child is
//!    cancelled: it unlinks itself, and a child is always cancelled before it
//!    can be freed, since its `CancelFunc` cancels on drop. A parent with no
//!    children holds no list: the first child sits inline, the rest in a list
//!    allocated on demand.
//! 4. A deadline that has passed counts as done for every reader, before the
//!    timer fires. A reader that notices marks the deadline's owner and so
//!    the tree below it, and its own node too if a cancel from above got to
//!    the owner first, before it reports anything: so `err()` never changes
//!    afterwards (C4). It hands the callbacks to the timer thread. A cancel
//!    therefore never reads the clock: until someone notices, a passed
//!    deadline is not yet an error, as in Go.

mod children;
pub(crate) mod clock;
pub(crate) mod deadline;
pub(crate) mod done;
#[cfg(any(not(loom), test))]
pub(crate) mod runner;
mod site;
#[cfg_attr(loom, path = "timer_loom.rs")]
pub(crate) mod timer;
pub(crate) mod value;
mod word;

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::task::Waker;
use std::time::Instant;

use self::children::Children;
use self::deadline::{Due, NO_DEADLINE};
use self::value::ValueNode;
use crate::error::{Cause, Error};
use crate::slab::Slab;
use crate::sync::{lock, Mutex, Ordering};

use self::site::Info;
#[cfg(feature = "http")]
pub(crate) use self::site::Site;
pub(crate) use self::site::{Born, How, Kind, INFO_BYTES};
pub(crate) use self::word::State;
use self::word::{AtomicWord, Word};

/// A waiter's key before it registers (see `register`).
pub(crate) const UNREGISTERED: usize = usize::MAX;
/// The key of the inline waiter slot; slab keys are smaller.
const INLINE: usize = usize::MAX - 1;

/// A counted handle on a node. triomphe's `Arc` has no weak count, so
/// freeing a node is one atomic decrement, not std's two.
pub(crate) type NodeRef = triomphe::Arc<CancelNode>;

/// A cancelable context's shared state. See the module docs.
pub(crate) struct CancelNode {
    word: AtomicWord,
    parent: Option<NodeRef>,
    inner: Mutex<Inner>,
    /// Zero-sized without the `inspect` feature (`site.rs`).
    info: Info,
}

#[derive(Default)]
struct Inner {
    /// The first child, inline: a lone child costs its parent no allocation.
    child: Option<NodeRef>,
    /// The first waiter, inline: a context awaited by one task (a request's,
    /// in a server) needs no list, and its cancel reads no second
    /// allocation, which another core wrote last (see `register`).
    waiter: Option<Waker>,
    extra: Option<Box<Extra>>,
}

/// What most nodes never need, allocated on demand.
#[derive(Default)]
struct Extra {
    /// Children beyond the inline one, in link order.
    children: Children,
    waiters: Slab<Waker>,
    afters: Slab<Arc<dyn Fire>>,
    /// The cause this node was done with, when it is not just its `err()`.
    cause: Option<Cause>,
    /// The cause to report when this node's own deadline fires.
    deadline_cause: Option<Cause>,
    /// The deadline (own or inherited) is on tokio's paused clock
    /// (`clock.rs`). Test runs only: the node word has no bit to spare, and
    /// readers look here only once any such node exists (`ANY_PAUSED`).
    paused: bool,
}

/// Whether a node on tokio's paused clock was ever made in this process:
/// until then (always, outside tests), readers do not look for the flag.
static ANY_PAUSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

impl Extra {
    fn is_empty(&self) -> bool {
        self.children.is_empty()
            && self.waiters.is_empty()
            && self.afters.is_empty()
            && self.cause.is_none()
            && self.deadline_cause.is_none()
            && !self.paused
    }
}

/// A callback registered with `after_func`.
pub(crate) trait Fire: Send + Sync {
    /// Runs the callback if nobody has claimed it yet.
    fn fire(&self);
}

/// What a cancel must notify once every lock is released. The wakers and
/// after-funcs are moved out of the nodes into one list each; the nodes
/// keep their (empty) buffers until they are freed, so that cancelling ten
/// thousand children frees nothing on the cancelling thread.
#[derive(Default)]
pub(crate) struct Fired {
    wakers: Vec<Waker>,
    afters: Vec<Arc<dyn Fire>>,
    /// The first panic of a waker woken during the cancel itself.
    panic: Option<Panic>,
}

/// A panic caught in a callback, to re-raise once every callback has run.
pub(crate) type Panic = Box<dyn Any + Send>;

impl Fired {
    pub(crate) fn is_empty(&self) -> bool {
        self.wakers.is_empty() && self.afters.is_empty() && self.panic.is_none()
    }

    /// Wakes every waiter, then runs every after-func. A panic in one does
    /// not stop the others; the first one is handed back.
    #[inline]
    pub(crate) fn run(self) -> Option<Panic> {
        if self.is_empty() {
            return None;
        }
        self.run_all()
    }

    fn run_all(self) -> Option<Panic> {
        let mut panic = None;
        let afters = self.wake(&mut panic);
        for f in afters {
            caught(&mut panic, || f.fire());
        }
        panic
    }

    /// Wakes every waiter; a panicking waker does not stop the others
    /// (the first panic goes to `panic`). Hands back the after-funcs.
    pub(crate) fn wake(self, panic: &mut Option<Panic>) -> Vec<Arc<dyn Fire>> {
        if let Some(p) = self.panic {
            panic.get_or_insert(p);
        }
        for w in self.wakers {
            caught(panic, || w.wake());
        }
        self.afters
    }

    /// Wakes the wakers from `from` on now (see `CancelNode::cancel`).
    fn wake_from(&mut self, from: usize) {
        for w in self.wakers.drain(from..) {
            caught(&mut self.panic, || w.wake());
        }
    }
}

/// Runs `f`, keeping the first panic of a series in `first`.
#[inline]
pub(crate) fn caught(first: &mut Option<Panic>, f: impl FnOnce()) {
    if let Err(p) = catch_unwind(AssertUnwindSafe(f)) {
        first.get_or_insert(p);
    }
}

/// Re-raises a panic caught in a callback, unless this thread is already
/// unwinding (a `CancelFunc` dropped during a panic): a second panic would abort.
#[inline]
pub(crate) fn resume(panic: Option<Panic>) {
    if let Some(p) = panic {
        if !std::thread::panicking() {
            std::panic::resume_unwind(p);
        }
    }
}

fn state_error(state: State) -> Error {
    if state == State::Canceled {
        Error::Canceled
    } else {
        Error::DeadlineExceeded
    }
}

impl CancelNode {
    /// A new node under `parent` (the nearest cancelable ancestor), linked
    /// to it, or born done if the parent already is. `due` is
    /// `Due::NONE` for `with_cancel`.
    pub(crate) fn new(
        parent: Option<&NodeRef>,
        due: Due,
        deadline_cause: Option<Cause>,
        born: Born,
    ) -> NodeRef {
        let inherited = parent.map_or(NO_DEADLINE, |p| p.deadline_nanos());
        // Like Go, a deadline no earlier than the parent's adds no timer.
        let owns = due.at < inherited;
        let deadline = due.at.min(inherited);
        let deadline_cause = deadline_cause.filter(|_| owns);
        let paused = if owns {
            due.paused
        } else {
            deadline != NO_DEADLINE && parent.is_some_and(|p| p.is_paused())
        };
        if paused {
            ANY_PAUSED.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        let extra = (deadline_cause.is_some() || paused).then(|| {
            Box::new(Extra {
                deadline_cause,
                paused,
                ..Extra::default()
            })
        });
        let holds = extra.is_some();
        let node = NodeRef::new(CancelNode {
            word: AtomicWord::new(Word::new(deadline, holds)),
            parent: parent.cloned(),
            inner: Mutex::new(Inner {
                child: None,
                waiter: None,
                extra,
            }),
            info: Info::new(born),
        });
        if let Some(p) = parent {
            let mut g = lock(&p.inner);
            if !p.try_hold() {
                drop(g);
                // Nobody else sees `node` yet: no lock needed.
                let w = node.word.load(Ordering::Relaxed);
                node.word.store(w.ended(p.state(), true), Ordering::Release);
                return node;
            }
            match g.child {
                None => g.child = Some(NodeRef::clone(&node)),
                Some(_) => {
                    let e = g.extra.get_or_insert_with(Box::default);
                    e.children.insert(NodeRef::clone(&node));
                }
            }
        }
        // The live view finds nodes from their roots (`inspect/live.rs`).
        #[cfg(all(feature = "inspect", not(loom)))]
        if parent.is_none() {
            crate::inspect::live::register(&node);
        }
        if owns {
            if due.passed() {
                // Born expired: no waiter or after-func can exist yet.
                drop(node.fire_deadline());
            } else if paused {
                clock::schedule(&node);
            } else {
                timer::schedule(&node);
            }
        }
        node
    }

    /// Tries to set `HOLDS` before something is added under the lock (which
    /// the caller holds). False if the node is done: add nothing then.
    fn try_hold(&self) -> bool {
        let mut w = self.word.load(Ordering::Acquire);
        loop {
            if !w.is_live() {
                return false;
            }
            if w.holds() {
                return true;
            }
            match self
                .word
                .compare_exchange(w, w.with_holds(), Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return true,
                Err(now) => w = now,
            }
        }
    }

    #[inline]
    fn state(&self) -> State {
        self.word.load(Ordering::Acquire).state()
    }

    /// Whether the state has been set (a passed deadline nobody noticed
    /// yet does not count here).
    #[inline]
    pub(crate) fn is_marked(&self) -> bool {
        self.state() != State::Live
    }

    #[inline]
    pub(crate) fn deadline_nanos(&self) -> u64 {
        self.word.load(Ordering::Relaxed).deadline()
    }

    pub(crate) fn deadline(&self) -> Option<Instant> {
        match self.deadline_nanos() {
            NO_DEADLINE => None,
            d => Some(deadline::from_nanos(d)),
        }
    }

    /// Done by a cancel, or by a deadline that has passed. One atomic load,
    /// plus a clock read while a deadline is pending.
    #[inline]
    pub(crate) fn is_done(&self) -> bool {
        let w = self.word.load(Ordering::Acquire);
        if !w.is_live() {
            return true;
        }
        if w.deadline() == NO_DEADLINE {
            return false;
        }
        self.deadline_passed(w.deadline())
    }

    /// The clock half of `is_done`, kept out of line so the common check
    /// inlines into every `run` poll.
    #[inline(never)]
    fn deadline_passed(&self, d: u64) -> bool {
        // Off its runtime, a paused-clock deadline is left to its task.
        if self.now().is_none_or(|now| now < d) {
            return false;
        }
        // Noticed before the timer: mark the tree now so that `err()` can
        // never change later, and let the timer thread run the callbacks.
        for f in self.mark_expired(false) {
            if f.is_empty() {
            } else if self.is_paused() {
                clock::defer(f);
            } else {
                timer::defer(f);
            }
        }
        true
    }

    /// Marks the owner of this node's passed deadline (and so the tree
    /// below it) expired, and this node too; the callbacks to run. With
    /// `wake_leaves`, the caller is a cancelling thread that may run user
    /// code (see `cancel`); a reader passes `false`.
    fn mark_expired(&self, wake_leaves: bool) -> [Fired; 2] {
        let owner = self.deadline_owner();
        let cause = owner.own_deadline_cause();
        let fired = owner.cancel(State::Expired, cause.clone(), wake_leaves);
        // If the owner was already done, a cancel from above is still on its
        // way down to this node. Mark this one ourselves, so that what this
        // reader reports is what `err()` says forever (C4). If the cancel
        // gets here first, this reader reports `Canceled`.
        let mine = if self.is_marked() {
            Fired::default()
        } else {
            self.cancel(State::Expired, cause, wake_leaves)
        };
        [fired, mine]
    }

    /// For a cancelling thread (the HTTP layer's hang-up): if this live
    /// node's deadline has passed, end it as that deadline, not as the
    /// cancel, and hand back the callbacks to run right there.
    pub(crate) fn expire_if_passed(&self) -> Option<[Fired; 2]> {
        let d = self.deadline_nanos();
        if d == NO_DEADLINE || self.is_marked() {
            return None;
        }
        match self.now() {
            Some(now) if now >= d => Some(self.mark_expired(true)),
            _ => None,
        }
    }

    #[inline]
    pub(crate) fn err(&self) -> Option<Error> {
        if !self.is_done() {
            return None;
        }
        // Marked by now (invariant 4), so this is final.
        Some(state_error(self.state()))
    }

    /// The error of a node that `is_done()` just reported done.
    #[inline]
    pub(crate) fn done_error(&self) -> Error {
        state_error(self.state())
    }

    pub(crate) fn cause(&self) -> Option<Cause> {
        if !self.is_done() {
            return None;
        }
        let mut n = self;
        loop {
            let w = n.word.load(Ordering::Acquire);
            let s = w.state();
            if s == State::Live {
                return Some(n.deadline_cause());
            }
            if w.inherited() {
                n = n
                    .parent
                    .as_deref()
                    .expect("an inherited state has a parent");
                continue;
            }
            let own = lock(&n.inner).extra.as_ref().and_then(|e| e.cause.clone());
            return Some(own.unwrap_or_else(|| state_error(s).to_cause()));
        }
    }

    /// Whether this node's deadline is on tokio's paused clock. One static
    /// load outside tests; never called with the node's lock held.
    fn is_paused(&self) -> bool {
        ANY_PAUSED.load(std::sync::atomic::Ordering::Relaxed)
            && lock(&self.inner).extra.as_ref().is_some_and(|e| e.paused)
    }

    /// Now on the clock of this node's deadline; `None` for tokio's paused
    /// clock off any runtime (there is no virtual time to read there).
    #[inline]
    fn now(&self) -> Option<u64> {
        if self.is_paused() {
            clock::tokio_now()
        } else {
            Some(deadline::now_nanos())
        }
    }

    /// The time left until the deadline, on its clock (the real one where
    /// a paused clock cannot be read).
    pub(crate) fn remaining(&self) -> Option<std::time::Duration> {
        match self.deadline_nanos() {
            NO_DEADLINE => None,
            d => {
                let now = self.now().unwrap_or_else(deadline::now_nanos);
                Some(std::time::Duration::from_nanos(d.saturating_sub(now)))
            }
        }
    }

    /// `err()` and `remaining()` from one clock read, for the callers that
    /// want both before a call goes out (`inject_deadline`,
    /// `tonic::request`): the error once done, else the time left.
    #[cfg(feature = "http")]
    pub(crate) fn left(&self) -> Result<Option<std::time::Duration>, Error> {
        let w = self.word.load(Ordering::Acquire);
        if !w.is_live() {
            return Err(state_error(w.state()));
        }
        let d = w.deadline();
        if d == NO_DEADLINE {
            return Ok(None);
        }
        match self.now() {
            // Passed: recorded as `is_done` would (then final, C4).
            Some(now) if now >= d && self.deadline_passed(d) => Err(self.done_error()),
            // Off its runtime, a paused-clock deadline reads on the real
            // clock, as `remaining()` does.
            now => Ok(Some(std::time::Duration::from_nanos(
                d.saturating_sub(now.unwrap_or_else(deadline::now_nanos)),
            ))),
        }
    }

    /// The node whose own deadline is this node's effective deadline.
    fn deadline_owner(&self) -> &CancelNode {
        let d = self.deadline_nanos();
        let mut n = self;
        while let Some(p) = n.parent.as_deref() {
            if p.deadline_nanos() != d {
                break;
            }
            n = p;
        }
        n
    }

    /// The cause a passed deadline reports: its owner's, or the plain error.
    fn deadline_cause(&self) -> Cause {
        self.deadline_owner()
            .own_deadline_cause()
            .unwrap_or_else(|| Error::DeadlineExceeded.to_cause())
    }

    /// Ends this node with `DeadlineExceeded` and its deadline cause.
    pub(crate) fn fire_deadline(&self) -> Fired {
        self.cancel(State::Expired, self.own_deadline_cause(), true)
    }

    /// The cause given for this node's own deadline, if any.
    fn own_deadline_cause(&self) -> Option<Cause> {
        lock(&self.inner)
            .extra
            .as_ref()
            .and_then(|e| e.deadline_cause.clone())
    }

    /// Marks this node and all its descendants done (C3), unlinks it from
    /// its parent (C6), and returns the callbacks to run once the caller
    /// holds no lock. Does nothing if the node already was done (C4).
    ///
    /// With `wake_leaves`, the waiters of a descendant with no children of
    /// its own are woken as soon as it is marked, with no lock held, while
    /// the cancel goes on: in a server's shutdown (a root, a child per
    /// request, a task awaiting each) the runtime's other workers start
    /// running woken tasks while this thread is still marking. A woken
    /// waiter still sees everything below its context done. The cancelled
    /// node's own waiters, those of nodes with children, and every
    /// after-func wait for the end, as before. A reader that notices a
    /// passed deadline passes `false`: it must run no user code.
    pub(crate) fn cancel(&self, state: State, cause: Option<Cause>, wake_leaves: bool) -> Fired {
        let mut fired = Fired::default();
        let mut work = Vec::new();
        if !self.mark(state, false, cause, &mut work, &mut fired) {
            return fired;
        }
        self.unlink();
        // One event for the context that ended by itself (its descendants'
        // `why()` points up to it); no lock is held.
        #[cfg(all(feature = "tracing", not(loom)))]
        crate::inspect::trace::ended(self);
        let mut deferred = fired.wakers.len();
        // Iterative, not recursive: a chain a million deep must not
        // overflow the stack.
        while let Some(child) = work.pop() {
            // Every node in `work` is the child of one this cancel marked,
            // and so inherits `state`. (Reading it from the parent instead
            // would touch the parent's first cache line once per child, a
            // line that children freed on other threads write to.)
            let below = work.len();
            child.mark(state, true, None, &mut work, &mut fired);
            if work.len() > below {
                // Its children are not marked yet: its waiters wait.
                deferred = fired.wakers.len();
            } else if wake_leaves && fired.wakers.len() > deferred {
                fired.wake_from(deferred);
            }
            // `child` is dropped here, with no lock held.
        }
        fired
    }

    /// Sets this one node's state, moving its children into `work` and its
    /// callbacks into `fired`. False if it was already done.
    #[inline]
    fn mark(
        &self,
        state: State,
        inherited: bool,
        cause: Option<Cause>,
        work: &mut Vec<NodeRef>,
        fired: &mut Fired,
    ) -> bool {
        let w = self.word.load(Ordering::Acquire);
        if !w.is_live() {
            return false;
        }
        // No clock read here: a deadline that has passed but that no reader
        // has noticed is not done yet (Go's `Err` is the same), and a reader
        // that notices one marks the node before it reports it.
        let d = w.deadline();
        if !w.holds() && cause.is_none() {
            // Nothing can be under the lock: one CAS, no lock (see `HOLDS`).
            match self.word.compare_exchange(
                w,
                w.ended(state, inherited),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    self.unschedule_own(d);
                    return true;
                }
                Err(now) if !now.is_live() => return false,
                Err(_) => {} // something was just added: take the lock
            }
        }
        self.mark_locked(state, inherited, cause, work, fired)
    }

    /// `mark` for a node whose lock may guard something, or with a cause to
    /// record. Out of line: the common
    /// leaf cancel never gets here.
    #[inline(never)]
    fn mark_locked(
        &self,
        state: State,
        inherited: bool,
        cause: Option<Cause>,
        work: &mut Vec<NodeRef>,
        fired: &mut Fired,
    ) -> bool {
        let mut g = lock(&self.inner);
        // With `HOLDS` set no fast-path CAS can succeed, so a plain store
        // under the lock cannot lose a race.
        if !self.try_hold() {
            return false;
        }
        let w = self.word.load(Ordering::Acquire);
        self.word
            .store(w.ended(state, inherited), Ordering::Release);
        fired.wakers.extend(g.waiter.take());
        // The lists are emptied, not freed: their buffers go with the node.
        // Children come out in link order (`children.rs`), the inline one,
        // usually the oldest, first: it goes on top of `work`.
        if let Some(e) = g.extra.as_deref_mut() {
            e.children.drain_into(work);
            e.waiters.drain_into(&mut fired.wakers);
            e.afters.drain_into(&mut fired.afters);
        }
        work.extend(g.child.take());
        if cause.is_some() {
            g.extra.get_or_insert_with(Box::default).cause = cause;
        }
        drop(g);
        self.unschedule_own(w.deadline());
        true
    }

    /// Takes this node's own deadline (`d`), if any, off the timer.
    fn unschedule_own(&self, d: u64) {
        // (A paused-clock deadline is not on the timer: a no-op for it.)
        if d != NO_DEADLINE && self.parent.as_ref().is_none_or(|p| p.deadline_nanos() != d) {
            timer::unschedule(self);
        }
    }

    /// Takes this (just cancelled) node out of its parent's children.
    fn unlink(&self) {
        let Some(p) = self.parent.as_deref() else {
            #[cfg(all(feature = "inspect", not(loom)))]
            crate::inspect::live::unregister(self);
            return;
        };
        let mut g = lock(&p.inner);
        if p.state() != State::Live {
            return; // the parent's own cancel took its whole list
        }
        let me: *const CancelNode = self;
        let taken = if g
            .child
            .as_ref()
            .is_some_and(|c| std::ptr::eq(NodeRef::as_ptr(c), me))
        {
            g.child.take()
        } else {
            g.extra
                .as_mut()
                .and_then(|e| e.children.remove(me as usize))
        };
        // No children left: give the list back (invariant 3). With one still
        // inline the list is kept, so a long-lived child plus a churning one
        // costs no allocation per cycle.
        let free = g.child.is_none() && g.extra.as_ref().is_some_and(|e| e.is_empty());
        let extra = if free { g.extra.take() } else { None };
        drop(g);
        drop(taken);
        drop(extra);
    }

    /// Registers `waker` to be woken when this node is done, or replaces
    /// the waker already registered under `*key`. False if already done.
    ///
    /// `waker` is cloned before the lock is taken: `Waker::clone` is user
    /// code, which may touch this very node (invariant 2). `Done` calls
    /// this only when its task's waker changed, so the clone is not wasted.
    pub(crate) fn register(&self, waker: &Waker, key: &mut usize) -> bool {
        let mine = waker.clone();
        let mut g = lock(&self.inner);
        if !self.try_hold() {
            drop(g);
            drop(mine);
            return false;
        }
        let unused = if *key == INLINE {
            g.waiter.replace(mine)
        } else if *key == UNREGISTERED && g.waiter.is_none() {
            *key = INLINE;
            g.waiter = Some(mine);
            None
        } else {
            let e = g.extra.get_or_insert_with(Box::default);
            match e.waiters.get_mut(*key) {
                Some(w) => Some(std::mem::replace(w, mine)),
                None => {
                    *key = e.waiters.insert(mine);
                    None
                }
            }
        };
        drop(g);
        drop(unused);
        true
    }

    /// Takes out the waker registered under `key`. The list's buffer is
    /// kept, so a task that waits again and again costs no allocation.
    pub(crate) fn deregister(&self, key: usize) {
        // Done: the cancel already took every waiter. Checking first keeps
        // ten thousand woken tasks from queueing on this lock.
        if self.is_marked() {
            return;
        }
        let mut g = lock(&self.inner);
        if self.state() != State::Live {
            return; // the cancel took (and woke) every waiter
        }
        let w = if key == INLINE {
            g.waiter.take()
        } else {
            g.extra.as_mut().and_then(|e| e.waiters.remove(key))
        };
        drop(g);
        drop(w);
    }

    /// Registers an after-func; hands it back if the node is already done.
    pub(crate) fn add_after(&self, f: Arc<dyn Fire>) -> Result<usize, Arc<dyn Fire>> {
        let mut g = lock(&self.inner);
        if !self.try_hold() {
            return Err(f);
        }
        Ok(g.extra.get_or_insert_with(Box::default).afters.insert(f))
    }

    pub(crate) fn remove_after(&self, key: usize) {
        let mut g = lock(&self.inner);
        if self.state() != State::Live {
            return;
        }
        let f = g.extra.as_mut().and_then(|e| e.afters.remove(key));
        drop(g);
        drop(f);
    }

    /// Records who is about to cancel this node (feature `inspect`).
    #[inline]
    pub(crate) fn cancelling(&self, how: How) {
        self.info.cancelling(how);
    }

    pub(crate) fn stats(&self) -> NodeStats {
        lock(&self.inner).stats()
    }
}

impl Inner {
    fn stats(&self) -> NodeStats {
        let e = self.extra.as_deref();
        NodeStats {
            children: usize::from(self.child.is_some()) + e.map_or(0, |e| e.children.len()),
            waiters: usize::from(self.waiter.is_some()) + e.map_or(0, |e| e.waiters.len()),
            after_funcs: e.map_or(0, |e| e.afters.len()),
            holds_extra: e.is_some(),
        }
    }
}

/// What `why()` and the live view read of a node (feature `inspect`).
#[cfg(all(feature = "inspect", not(loom)))]
impl CancelNode {
    pub(crate) fn born(&self) -> Born {
        self.info.born
    }

    pub(crate) fn parent(&self) -> Option<&NodeRef> {
        self.parent.as_ref()
    }

    /// How this node ended, if it is marked: its state, whether it came
    /// from the parent, and who cancelled it (for `Canceled`).
    pub(crate) fn ending(&self) -> Option<(State, bool, Option<How>)> {
        let w = self.word.load(Ordering::Acquire);
        if w.is_live() {
            return None;
        }
        Some((w.state(), w.inherited(), self.info.ended_by()))
    }

    /// The birth of the node that owns this node's deadline, whether that
    /// is another node, and how long ago the deadline passed (zero if it
    /// has not), on its clock.
    pub(crate) fn deadline_passed_by(&self) -> (Born, bool, std::time::Duration) {
        let d = self.deadline_nanos();
        let now = self.now().unwrap_or_else(deadline::now_nanos);
        let ago = std::time::Duration::from_nanos(now.saturating_sub(d));
        let owner = self.deadline_owner();
        (owner.info.born, !std::ptr::eq(owner, self), ago)
    }

    /// Its live children, and what it holds, under its lock (taken alone).
    pub(crate) fn children(&self) -> (Vec<NodeRef>, NodeStats) {
        let g = lock(&self.inner);
        let mut kids: Vec<NodeRef> = g.child.iter().cloned().collect();
        if let Some(e) = g.extra.as_deref() {
            kids.extend(e.children.iter().cloned());
        }
        let stats = g.stats();
        drop(g);
        (kids, stats)
    }
}

/// What a node holds, for tests. Not part of the API.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NodeStats {
    /// Linked cancelable children.
    pub children: usize,
    /// Registered `done()` wakers.
    pub waiters: usize,
    /// Registered after-funcs.
    pub after_funcs: usize,
    /// Whether the node holds an allocation beyond itself.
    pub holds_extra: bool,
}

impl Drop for CancelNode {
    /// Frees the ancestors only this node kept alive, iteratively (see
    /// [`release`]).
    fn drop(&mut self) {
        release([self.parent.take().map(Link::Cancel), None]);
    }
}

/// A counted link from one node to another: cancel nodes link to their
/// parent and their value node, value nodes to the next value node and
/// their cancel node.
pub(crate) enum Link {
    Cancel(NodeRef),
    Value(Arc<ValueNode>),
}

/// Drops `links`, and every node that only they kept alive, in a loop:
/// the last handle of a chain a million levels deep, of either kind of
/// node or both in turn, must not overflow the stack by recursing from one
/// node's drop into the next. The first two links need no allocation, so
/// the common case (a parent that others still hold) costs nothing more.
///
/// A value's `Drop` that panics does not stop the loop: the rest of the
/// chain is freed, then the first panic goes on (unless the thread is
/// already unwinding).
pub(crate) fn release(links: [Option<Link>; 2]) {
    let [mut a, mut b] = links;
    if a.is_none() && b.is_none() {
        return;
    }
    let mut more: Vec<Link> = Vec::new();
    let mut panic = None;
    while let Some(link) = a.take().or_else(|| b.take()).or_else(|| more.pop()) {
        let next = match link {
            Link::Cancel(n) => NodeRef::into_unique(n).map(|n| {
                let mut n = triomphe::UniqueArc::into_inner(n);
                let next = [n.parent.take().map(Link::Cancel), None];
                caught(&mut panic, || drop(n));
                next
            }),
            Link::Value(v) => Arc::into_inner(v).map(|mut v| {
                let next = v.take_links();
                caught(&mut panic, || drop(v));
                next
            }),
        };
        for l in next.into_iter().flatten().flatten() {
            if a.is_none() {
                a = Some(l);
            } else if b.is_none() {
                b = Some(l);
            } else {
                more.push(l);
            }
        }
    }
    resume(panic);
}

/// Spreads a node's address over all 64 bits (Fibonacci hashing): nodes are
/// allocations of one size, so their addresses differ in a few middle bits.
pub(crate) fn spread(addr: usize) -> u64 {
    (addr as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::CancelNode;

    #[test]
    fn a_node_fits_in_64_bytes_with_its_count() {
        // triomphe's ArcInner = one count (8 bytes) + the node: the
        // budget is 64 (SPEC C6, tests/memory.rs), with the waiter inline,
        // plus what the `inspect` feature adds (nothing without it).
        assert!(
            8 + std::mem::size_of::<CancelNode>() - super::INFO_BYTES <= 64,
            "{}",
            std::mem::size_of::<CancelNode>()
        );
    }
}
