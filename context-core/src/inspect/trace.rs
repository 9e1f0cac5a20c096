//! The `tracing` feature: one DEBUG event, target `context`, when a context
//! ends by itself (cancelled, its `CancelFunc` dropped, its deadline
//! passed). Its descendants, which end because it did, emit nothing: their
//! `why()` leads here.

use std::time::Instant;

use crate::tree::CancelNode;

use super::why::{Reason, Why};

/// Called by the cancel that just marked `node` (no lock held). The
/// fields are computed only when a subscriber wants the event.
pub(crate) fn ended(node: &CancelNode) {
    tracing::debug!(
        target: "context",
        reason = %reason(node),
        site = %node.born().site,
        constructor = node.born().kind.name(),
        age = ?Instant::now().saturating_duration_since(node.born().at),
        deadline = ?node.deadline(),
        "context ended"
    );
}

/// The origin's reason in a few words (the event is about that node).
fn reason(node: &CancelNode) -> String {
    let error = node.done_error();
    let why = Why::of(node, error, None);
    match why.origin().reason {
        Reason::Called { at } => format!("cancelled at {at}"),
        Reason::Dropped => "its CancelFunc was dropped".to_string(),
        Reason::Deadline { set_at, .. } => format!("the deadline set at {set_at} passed"),
        Reason::Parent => "its parent ended".to_string(),
    }
}
