//! A node's children beyond the inline one: a list in the order they were
//! linked, with an index by address so that one can take itself out in
//! O(1) when it is cancelled.
//!
//! Why the order matters: a cancel walks the list and wakes each child's
//! waiters. The children of a server's root were made one per request, and
//! each request's task was spawned right after, so link order is the order
//! in which their nodes and their tasks lie in memory. Walked in that order,
//! both are a few forward streams that the prefetcher follows; walked in
//! hash order (a plain map, as before) every child cost a cache miss on its
//! node and another on its task, on the cancelling thread and again on the
//! thread that ran the woken task. tokio-util's tree keeps a `Vec` for the
//! same reason. An unlink moves the last child into the hole, so a parent
//! with churn drifts from link order, but only by the children that left.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::{spread, NodeRef};

#[derive(Default)]
pub(super) struct Children {
    list: Vec<NodeRef>,
    /// Where each child sits in `list`, by its node's address.
    at: HashMap<usize, usize, BuildHasherDefault<AddrHasher>>,
}

fn addr(node: &NodeRef) -> usize {
    NodeRef::as_ptr(node) as usize
}

impl Children {
    pub(super) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub(super) fn len(&self) -> usize {
        self.list.len()
    }

    pub(super) fn insert(&mut self, node: NodeRef) {
        self.at.insert(addr(&node), self.list.len());
        self.list.push(node);
    }

    /// Takes out the child whose node is at `key`, if it is here.
    pub(super) fn remove(&mut self, key: usize) -> Option<NodeRef> {
        let i = self.at.remove(&key)?;
        let node = self.list.swap_remove(i);
        if let Some(moved) = self.list.get(i) {
            self.at.insert(addr(moved), i);
        }
        Some(node)
    }

    /// Moves every child into `work` so that popping `work` yields them in
    /// list order. The buffers are kept (see `Fired`).
    pub(super) fn drain_into(&mut self, work: &mut Vec<NodeRef>) {
        self.at.clear();
        work.extend(self.list.drain(..).rev());
    }

    /// For the live view (`inspect`).
    #[cfg(all(feature = "inspect", not(loom)))]
    pub(super) fn iter(&self) -> impl Iterator<Item = &NodeRef> {
        self.list.iter()
    }
}

/// Hashes a node's address: unique, and well spread once multiplied and
/// folded (hashbrown places a key by the hash's low bits, which the product
/// alone leaves poorly mixed). SipHash would cost more than the rest of an
/// insert.
#[derive(Default)]
struct AddrHasher(u64);

impl Hasher for AddrHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn write_usize(&mut self, n: usize) {
        let h = spread(n);
        self.0 = h ^ (h >> 32);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::tree::deadline::Due;
    use crate::tree::{Born, CancelNode, Kind};

    fn node() -> NodeRef {
        CancelNode::new(None, Due::NONE, None, Born::here(Kind::Cancel))
    }

    fn order(c: &mut Children) -> Vec<usize> {
        let mut work = Vec::new();
        c.drain_into(&mut work);
        std::iter::from_fn(|| work.pop())
            .map(|n| addr(&n))
            .collect()
    }

    #[test]
    fn a_cancel_takes_children_in_link_order_and_an_unlink_fills_its_hole_with_the_last() {
        let nodes: Vec<NodeRef> = (0..5).map(|_| node()).collect();
        let mut c = Children::default();
        for n in &nodes {
            c.insert(NodeRef::clone(n));
        }
        assert_eq!(c.len(), 5);
        let taken = c.remove(addr(&nodes[1])).expect("linked");
        assert_eq!(addr(&taken), addr(&nodes[1]));
        assert!(c.remove(addr(&nodes[1])).is_none(), "already out");
        // [0, 4, 2, 3]: the last moved into the hole, and its index followed
        // it, so it can be found there; then 3 fills 4's place.
        let moved = c.remove(addr(&nodes[4])).expect("still linked");
        assert_eq!(addr(&moved), addr(&nodes[4]));
        let want: Vec<usize> = [0, 3, 2].iter().map(|&i| addr(&nodes[i])).collect();
        assert_eq!(order(&mut c), want);
        assert!(c.is_empty() && c.at.is_empty());
    }

    /// A waker that records its index when woken.
    struct Mark(usize, std::sync::Arc<std::sync::Mutex<Vec<usize>>>);

    impl std::task::Wake for Mark {
        fn wake(self: std::sync::Arc<Self>) {
            self.1.lock().unwrap().push(self.0);
        }
    }

    #[test]
    fn a_cancel_wakes_the_children_of_a_parent_in_the_order_they_were_made() {
        use std::future::Future;
        let woken = std::sync::Arc::default();
        let (root, cancel) = crate::Context::background().with_cancel();
        let kids: Vec<_> = (0..6).map(|_| root.with_cancel()).collect();
        let mut waits: Vec<_> = kids.iter().map(|(k, _)| Box::pin(k.done())).collect();
        for (i, w) in waits.iter_mut().enumerate() {
            let waker =
                std::task::Waker::from(std::sync::Arc::new(Mark(i, std::sync::Arc::clone(&woken))));
            let mut cx = std::task::Context::from_waker(&waker);
            assert!(w.as_mut().poll(&mut cx).is_pending());
        }
        cancel.cancel();
        assert_eq!(*woken.lock().unwrap(), (0..6).collect::<Vec<_>>());
    }
}
