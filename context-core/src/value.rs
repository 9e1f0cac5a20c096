//! Typed values: `with_value` / `value::<T>()`.
//!
//! A value node links to the nearest value node above it, so a lookup walks
//! only value nodes, never the cancelable ones in between. Values are keyed
//! by their type: a private newtype per key is Go's private key type.

use std::any::{Any, TypeId};
use std::sync::Arc;

use crate::tree::NodeRef;

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

impl Drop for ValueNode {
    /// Frees a long chain of value nodes iteratively (see `CancelNode`'s).
    fn drop(&mut self) {
        let mut next = self.next.take();
        while let Some(n) = next {
            next = Arc::into_inner(n).and_then(|mut n| n.next.take());
        }
    }
}
