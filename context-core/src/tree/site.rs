//! Where a node was made and who cancelled it, for `why()`, the live view
//! and the tracing event (feature `inspect`). Without the feature both types
//! are zero-sized and every function here compiles to nothing, so the lean
//! build carries no field, no clock read and no `#[track_caller]` argument.

#[cfg(feature = "inspect")]
use std::panic::Location;
#[cfg(feature = "inspect")]
use std::time::Instant;

/// Which constructor made a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(feature = "inspect"), allow(dead_code))]
pub(crate) enum Kind {
    Cancel,
    Deadline,
    Timeout,
}

impl Kind {
    #[cfg_attr(not(feature = "inspect"), allow(dead_code))]
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Cancel => "with_cancel",
            Kind::Deadline => "with_deadline",
            Kind::Timeout => "with_timeout",
        }
    }
}

/// A node's birth: the constructor's caller, which constructor, and when.
#[derive(Clone, Copy)]
pub(crate) struct Born {
    #[cfg(feature = "inspect")]
    pub(crate) site: &'static Location<'static>,
    #[cfg(feature = "inspect")]
    pub(crate) kind: Kind,
    #[cfg(feature = "inspect")]
    pub(crate) at: Instant,
}

/// A caller's line, kept for contexts made later on its behalf (the
/// request contexts of a `ContextLayer` carry the layer's line).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Site {
    #[cfg(feature = "inspect")]
    site: &'static Location<'static>,
}

impl Site {
    #[inline]
    #[cfg_attr(feature = "inspect", track_caller)]
    pub(crate) fn here() -> Site {
        Site {
            #[cfg(feature = "inspect")]
            site: Location::caller(),
        }
    }
}

impl Born {
    /// Called by the public constructors, which are `#[track_caller]` with
    /// the feature on: the site is the user's line.
    #[inline]
    #[cfg_attr(feature = "inspect", track_caller)]
    pub(crate) fn here(kind: Kind) -> Born {
        Born::at(Site::here(), kind)
    }

    /// Born at a line kept earlier.
    #[inline]
    #[cfg_attr(not(feature = "inspect"), allow(unused_variables))]
    pub(crate) fn at(site: Site, kind: Kind) -> Born {
        Born {
            #[cfg(feature = "inspect")]
            site: site.site,
            #[cfg(feature = "inspect")]
            kind,
            #[cfg(feature = "inspect")]
            at: Instant::now(),
        }
    }
}

/// What a node keeps for the feature: its birth, and who cancelled it.
pub(crate) struct Info {
    #[cfg_attr(not(feature = "inspect"), allow(dead_code))]
    pub(crate) born: Born,
    /// Set by the first `CancelFunc` call, before its cancel's CAS: so a
    /// reader that sees the state `Canceled` (and not inherited) sees who,
    /// with no lock and nothing added to the cancel's fast path. A deadline
    /// or a parent may win the state instead; then this is never read.
    #[cfg(feature = "inspect")]
    ended_by: std::sync::OnceLock<How>,
}

/// Bytes the feature adds to a node (0 without it), for the memory tests'
/// budgets.
pub(crate) const INFO_BYTES: usize = std::mem::size_of::<Info>();

impl Info {
    #[inline]
    pub(crate) fn new(born: Born) -> Info {
        Info {
            born,
            #[cfg(feature = "inspect")]
            ended_by: std::sync::OnceLock::new(),
        }
    }

    /// Records who is cancelling; the first call wins.
    #[inline]
    #[cfg_attr(not(feature = "inspect"), allow(unused_variables))]
    pub(crate) fn cancelling(&self, how: How) {
        #[cfg(feature = "inspect")]
        let _ = self.ended_by.set(how);
    }

    /// Who cancelled, once a `CancelFunc` call has begun.
    #[cfg(feature = "inspect")]
    pub(crate) fn ended_by(&self) -> Option<How> {
        self.ended_by.get().copied()
    }
}

/// How a `Canceled` node was ended: `cancel()` called at a site, or its
/// `CancelFunc` dropped. (A deadline's end is told by the state.)
#[derive(Clone, Copy)]
pub(crate) struct How {
    #[cfg(feature = "inspect")]
    pub(crate) called_at: Option<&'static Location<'static>>,
}

impl How {
    /// `cancel()` (or a `cancel_with_*`) called by the caller's caller.
    #[inline]
    #[cfg_attr(feature = "inspect", track_caller)]
    pub(crate) fn called() -> How {
        How {
            #[cfg(feature = "inspect")]
            called_at: Some(Location::caller()),
        }
    }

    /// The `CancelFunc` was dropped, or the node ended by a deadline.
    #[inline]
    pub(crate) const fn dropped() -> How {
        How {
            #[cfg(feature = "inspect")]
            called_at: None,
        }
    }
}
