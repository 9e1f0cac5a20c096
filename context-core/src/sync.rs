//! The synchronisation primitives of the tree, swapped for loom's under
//! `--cfg loom` so the models explore every interleaving of the real code.
//!
//! Reference counts (std's `Arc`, triomphe's for nodes) are the same in both
//! builds: loom checks the locks and atomics that carry the tree's
//! invariants, not reference counting.
//!
//! # Why the tree's lock spins
//!
//! A tree lock guards a few pointer moves and never user code (see
//! `tree/mod.rs`), so it is held for nanoseconds. A spin lock releases with a
//! plain store where a parking mutex needs a second atomic read-modify-write
//! to find out whether anyone sleeps; creating and cancelling a child takes
//! its parent's lock twice, so that is two of the dozen atomic operations a
//! child costs. Under contention `lock` spins briefly, then yields the CPU
//! on every try, so a preempted holder gets its core back.

#[cfg(loom)]
pub(crate) use loom::sync::{
    atomic::{AtomicU64, Ordering},
    Mutex, MutexGuard,
};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicU64, Ordering};

/// The tree's lock: a spin lock whose release is one store.
#[cfg(not(loom))]
pub(crate) type Mutex<T> = spin::mutex::SpinMutex<T>;
#[cfg(not(loom))]
pub(crate) type MutexGuard<'a, T> = spin::mutex::SpinMutexGuard<'a, T>;

/// Locks `m`: one compare-and-swap when free. Contended, it spins a little
/// and then yields between tries.
#[cfg(not(loom))]
#[inline]
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.try_lock() {
        Some(g) => g,
        None => lock_contended(m),
    }
}

#[cfg(not(loom))]
#[cold]
fn lock_contended<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    const SPINS: u32 = 64;
    let mut tries = 0u32;
    loop {
        while m.is_locked() {
            if tries < SPINS {
                std::hint::spin_loop();
                tries += 1;
            } else {
                std::thread::yield_now();
            }
        }
        if let Some(g) = m.try_lock() {
            return g;
        }
    }
}

/// Locks `m`, ignoring poison: no code of ours panics while holding a tree
/// lock, and user code never runs under one, so a poisoned lock still guards
/// consistent data.
#[cfg(loom)]
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
