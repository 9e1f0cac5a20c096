//! Typed values: `with_value` / `value::<T>()`.
//!
//! A value node links to the nearest value node above it, so a lookup walks
//! only value nodes, never the cancelable ones in between. Values are keyed
//! by their type: a private newtype per key is Go's private key type.

use std::any::{Any, TypeId};
use std::sync::Arc;

use crate::tree::{self, Link, NodeRef};

pub(crate) struct ValueNode {
    /// The nearest value node above this one.
    next: Option<Arc<ValueNode>>,
    /// The nearest cancelable ancestor: this context's done-ness.
    cancel: Option<NodeRef>,
    /// Kept beside the box so a lookup compares ids without a virtual call.
    type_id: TypeId,
    type_name: &'static str,
    value: Box<dyn Any + Send + Sync>,
}

impl ValueNode {
    pub(crate) fn new<T: Any + Send + Sync>(
        next: Option<Arc<ValueNode>>,
        cancel: Option<NodeRef>,
        value: T,
    ) -> ValueNode {
        ValueNode {
            next,
            cancel,
            type_id: TypeId::of::<T>(),
            type_name: std::any::type_name::<T>(),
            value: Box::new(value),
        }
    }

    pub(crate) fn cancel(&self) -> Option<&NodeRef> {
        self.cancel.as_ref()
    }

    pub(crate) fn type_name(&self) -> &'static str {
        self.type_name
    }
}

/// The nearest value of type `T` from `node` upwards.
#[inline]
pub(crate) fn lookup<T: Any>(mut node: Option<&ValueNode>) -> Option<&T> {
    let id = TypeId::of::<T>();
    while let Some(n) = node {
        if n.type_id == id {
            return n.value.downcast_ref();
        }
        node = n.next.as_deref();
    }
    None
}

impl ValueNode {
    /// Takes this node's links out, for `tree::release`.
    pub(crate) fn take_links(&mut self) -> [Option<Link>; 2] {
        [
            self.next.take().map(Link::Value),
            self.cancel.take().map(Link::Cancel),
        ]
    }
}

impl Drop for ValueNode {
    /// Frees the chain only this node kept alive, iteratively, through
    /// both kinds of node (see `tree::release`).
    fn drop(&mut self) {
        tree::release(self.take_links());
    }
}
