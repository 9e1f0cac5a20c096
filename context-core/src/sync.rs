//! The synchronisation primitives of the tree, swapped for loom's under
//! `--cfg loom` so the models explore every interleaving of the real code.
//!
//! `Arc` stays std's in both builds: loom checks the locks and atomics that
//! carry the tree's invariants, not reference counting.

#[cfg(loom)]
pub(crate) use loom::sync::{
    atomic::{AtomicU64, Ordering},
    Mutex, MutexGuard,
};
#[cfg(not(loom))]
pub(crate) use std::sync::{
    atomic::{AtomicU64, Ordering},
    Mutex, MutexGuard,
};

/// Locks `m`, ignoring poison: no code of ours panics while holding a tree
/// lock, and user code never runs under one, so a poisoned lock still guards
/// consistent data.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
