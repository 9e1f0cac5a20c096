//! The timer under loom: no thread (loom cannot model one that sleeps on
//! the real clock). Models move the clock past a deadline instead
//! (`__loom_set_clock_skew`), and the readers that notice mark the tree.

use crate::tree::{CancelNode, Fired, NodeRef};

pub(crate) fn schedule(_: &NodeRef) {}

pub(crate) fn unschedule(_: &CancelNode) {}

/// Runs `fired` at once, on the reader's thread.
pub(crate) fn defer(fired: Fired) {
    drop(fired.run());
}
