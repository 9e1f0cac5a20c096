//! Which clock a deadline is on.
//!
//! Everywhere, deadlines are on the real clock and fire on the shared timer
//! thread (C15), except for contexts made on a tokio runtime whose time is
//! paused (`#[tokio::test(start_paused = true)]`, `tokio::time::pause()`):
//! those are on tokio's clock, as tokio's own timers are, so that a test's
//! `sleep(10 s)` (which moves virtual time at once) passes a
//! `with_timeout(100 ms)` deadline at virtual 100 ms, and `time::advance`
//! fires one. Their `deadline()` and `remaining()` are on that clock too.
//!
//! How "paused" is known: tokio offers no query, but a paused clock does
//! not move between two reads in the same poll, while the real one always
//! does (nanosecond resolution). Two equal reads on a thread that has a
//! runtime mean a paused clock. Where tokio's test clock is not compiled
//! in, tokio's `Instant::now()` is the real clock's, so the check costs one
//! clock read more than a real-clock deadline needs.
//!
//! A deadline on tokio's clock is fired by a task on that runtime, which
//! sleeps until it and ends early when the context does; it wakes the
//! waiters itself, on the runtime (a wake from the timer thread could come
//! after the idle runtime has moved virtual time on). Readers of such a
//! context on a thread of a runtime compare with tokio's clock; elsewhere
//! (no runtime: no virtual time to read) they leave it to that task.

#[cfg(not(loom))]
mod imp {
    use std::future::Future;
    use std::pin::pin;
    use std::task::Poll;

    use crate::tree::deadline;
    use crate::tree::done::Done;
    use crate::tree::{Fired, NodeRef};

    /// Now, for a new deadline, and whether it goes on tokio's paused clock.
    pub(crate) fn for_new_deadline() -> (u64, bool) {
        let a = tokio::time::Instant::now();
        let b = tokio::time::Instant::now();
        if a != b || tokio::runtime::Handle::try_current().is_err() {
            // Moving: the real clock (tokio reads it when not paused).
            return (deadline::to_nanos(b.into_std()), false);
        }
        (deadline::to_nanos(a.into_std()), true)
    }

    /// Now on tokio's clock, on a thread that has a runtime.
    pub(crate) fn tokio_now() -> Option<u64> {
        tokio::runtime::Handle::try_current().ok()?;
        Some(deadline::to_nanos(tokio::time::Instant::now().into_std()))
    }

    /// Fires `node`'s own deadline when tokio's clock reaches it, unless
    /// the node ends first.
    pub(crate) fn schedule(node: &NodeRef) {
        let node = NodeRef::clone(node);
        let at = tokio::time::Instant::from_std(deadline::from_nanos(node.deadline_nanos()));
        tokio::spawn(async move {
            let mut sleep = pin!(tokio::time::sleep_until(at));
            let mut done = pin!(Done::new(Some(&*node)));
            let expired = std::future::poll_fn(|cx| {
                if done.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(false);
                }
                sleep.as_mut().poll(cx).map(|()| true)
            })
            .await;
            if expired {
                // Woken here, on the runtime, before it can go idle and
                // move virtual time on past what they would do next.
                crate::tree::timer::hand_off(node.fire_deadline());
            }
        });
    }

    /// What a reader that noticed a paused-clock deadline marked: woken
    /// from a task of the runtime, not from the timer thread, for the same
    /// reason (a wake from another thread may come after the runtime went
    /// idle and auto-advanced).
    pub(crate) fn defer(fired: Fired) {
        tokio::spawn(async move { crate::tree::timer::hand_off(fired) });
    }
}

/// Loom models have no tokio: every deadline is on the (skewable) clock.
#[cfg(loom)]
mod imp {
    use crate::tree::deadline;
    use crate::tree::NodeRef;

    pub(crate) fn for_new_deadline() -> (u64, bool) {
        (deadline::now_nanos(), false)
    }

    pub(crate) fn tokio_now() -> Option<u64> {
        None
    }

    pub(crate) fn schedule(_: &NodeRef) {}

    pub(crate) fn defer(fired: crate::tree::Fired) {
        crate::tree::timer::defer(fired);
    }
}

pub(crate) use imp::{defer, for_new_deadline, schedule, tokio_now};
