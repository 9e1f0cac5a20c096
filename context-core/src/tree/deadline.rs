//! How a deadline is stored: in the node's word, as nanoseconds.
//!
//! A deadline is kept as nanoseconds since a process-wide origin, packed into
//! the node's state word (see `tree/mod.rs`), so that reading it takes no lock.
//! The origin is set a year before the first use; a deadline earlier than
//! that is reported as the origin (it has long passed either way). One more
//! than ~35 years after it does not fit: `with_deadline` clamps it to the
//! farthest that does (a deadline was asked for, so one is reported), and
//! `with_timeout` of that much means no deadline at all, which is how
//! `with_timeout(Duration::MAX)` saturates instead of panicking.
//!
//! Deadlines fire on the shared timer thread (see `timer.rs`), or on
//! tokio's paused clock for contexts made where it is paused (`clock.rs`).

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Bits of the state word left for the deadline; see `tree/mod.rs`.
pub(crate) const DEADLINE_BITS: u32 = 60;
/// The deadline value that means "none".
pub(crate) const NO_DEADLINE: u64 = (1 << DEADLINE_BITS) - 1;
/// The farthest deadline the word holds: about 35.5 years after the first
/// use of the clock.
pub(crate) const MAX_DEADLINE: u64 = NO_DEADLINE - 1;

fn origin() -> Instant {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    *ORIGIN.get_or_init(|| {
        let now = Instant::now();
        // Some platforms cannot go a year back (their clock starts at boot):
        // take the furthest point back they can represent.
        let mut back = Duration::from_secs(365 * 24 * 3600);
        loop {
            if let Some(t) = now.checked_sub(back) {
                return t;
            }
            back /= 2;
            if back < Duration::from_millis(1) {
                return now;
            }
        }
    })
}

/// `d` as nanoseconds since the origin, saturating at both ends.
pub(crate) fn to_nanos(d: Instant) -> u64 {
    let n = d.saturating_duration_since(origin()).as_nanos();
    if n >= u128::from(NO_DEADLINE) {
        NO_DEADLINE
    } else {
        n as u64
    }
}

/// The instant of a stored deadline (never called with `NO_DEADLINE`).
pub(crate) fn from_nanos(n: u64) -> Instant {
    origin() + Duration::from_nanos(n)
}

/// Now, in the same unit as stored deadlines.
#[cfg(not(loom))]
pub(crate) fn now_nanos() -> u64 {
    to_nanos(Instant::now())
}

/// Under loom, the clock plus a skew that a model sets: loom cannot wait
/// for a real deadline, so a model moves the clock past one instead.
#[cfg(loom)]
pub(crate) fn now_nanos() -> u64 {
    to_nanos(Instant::now()).saturating_add(SKEW.load(std::sync::atomic::Ordering::SeqCst))
}

#[cfg(loom)]
static SKEW: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Moves this process's deadline clock `by` ahead of the real one (loom
/// models only; set it at the start of each model run).
#[cfg(loom)]
#[doc(hidden)]
pub fn __loom_set_clock_skew(by: Duration) {
    SKEW.store(
        u64::try_from(by.as_nanos()).unwrap_or(u64::MAX),
        std::sync::atomic::Ordering::SeqCst,
    );
}

/// A deadline to give a new node, with the clock reading it was computed
/// from when there is one (`with_timeout`): the node then need not read the
/// clock again to learn whether it is born expired. A clock read is a third
/// of what `with_timeout` costs.
#[derive(Clone, Copy)]
pub(crate) struct Due {
    pub(crate) at: u64,
    now: Option<u64>,
    /// On tokio's paused clock (see `clock.rs`).
    pub(crate) paused: bool,
}

impl Due {
    /// No deadline of its own (`with_cancel`).
    pub(crate) const NONE: Due = Due {
        at: NO_DEADLINE,
        now: None,
        paused: false,
    };

    /// At `d` (`with_deadline`). A deadline past what the word holds is
    /// clamped to the farthest one it does (`MAX_DEADLINE`, over 30 years
    /// away): `with_deadline` always reports a deadline.
    pub(crate) fn at(d: Instant) -> Due {
        let (now, paused) = crate::tree::clock::for_new_deadline();
        Due {
            at: to_nanos(d).min(MAX_DEADLINE),
            now: Some(now),
            paused,
        }
    }

    /// `now + t`, saturating to no deadline (`with_timeout`).
    pub(crate) fn after(t: Duration) -> Due {
        let (now, paused) = crate::tree::clock::for_new_deadline();
        let t = u64::try_from(t.as_nanos()).unwrap_or(u64::MAX);
        Due {
            at: if t >= NO_DEADLINE - now {
                NO_DEADLINE
            } else {
                now + t
            },
            now: Some(now),
            paused,
        }
    }

    /// Whether the deadline has already passed.
    pub(crate) fn passed(self) -> bool {
        self.at <= self.now.unwrap_or_else(now_nanos)
    }
}
