//! `AfterFunc`: Go's `context.AfterFunc`.

use std::fmt;
use std::sync::Arc;

use crate::sync::{lock, Mutex};
use crate::tree::{Fire, NodeRef};

/// A callback that runs once its context is done, unless stopped first.
/// Made by [`Context::after_func`](crate::Context::after_func).
///
/// The callback runs exactly once (C12): on the thread that cancels (after
/// the tree's locks are released, once every descendant is marked done), or
/// at once inside `after_func` if the context already is done. When a
/// deadline fires, it runs on the shared callback threads
/// (`context-callbacks`), never on the timer thread: a callback that blocks
/// (sleeps, waits on a lock or on another context) delays no deadline of
/// the process. They run in order on one thread; when one has run for more
/// than a few milliseconds while others wait, another thread is added (Go
/// runs each on a goroutine of its own). Spawn from the callback if it must
/// not run on the cancelling thread. A panicking callback does not stop
/// the others nor poison the tree; the panic is re-raised to the caller of
/// `cancel()` once all callbacks have run (on the callback threads it is
/// reported by the panic hook only).
///
/// Dropping an `AfterFunc` does not stop the callback.
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
///
/// let (ctx, cancel) = context::Context::background().with_cancel();
/// let ran = Arc::new(AtomicBool::new(false));
/// let r = ran.clone();
/// let f = ctx.after_func(move || r.store(true, Ordering::SeqCst));
/// cancel.cancel();
/// assert!(ran.load(Ordering::SeqCst));
/// assert!(!f.stop(), "too late: it already ran");
/// ```
pub struct AfterFunc {
    callback: Arc<dyn Callback>,
    /// Where the callback is registered, to take it out on `stop()`.
    registered: Option<(NodeRef, usize)>,
}

/// The callback, claimed exactly once: by `fire` (it runs) or `claim` (it
/// is stopped).
trait Callback: Fire {
    fn claim(&self) -> bool;
}

struct Once<F> {
    f: Mutex<Option<F>>,
}

impl<F: FnOnce() + Send> Fire for Once<F> {
    fn fire(&self) {
        let f = lock(&self.f).take();
        if let Some(f) = f {
            f();
        }
    }
}

impl<F: FnOnce() + Send> Callback for Once<F> {
    fn claim(&self) -> bool {
        let f = lock(&self.f).take();
        f.is_some()
    }
}

impl AfterFunc {
    pub(crate) fn new<F: FnOnce() + Send + 'static>(node: Option<&NodeRef>, f: F) -> AfterFunc {
        let callback: Arc<dyn Callback> = Arc::new(Once {
            f: Mutex::new(Some(f)),
        });
        let registered = node.and_then(|node| {
            if node.is_done() {
                callback.fire();
                return None;
            }
            match node.add_after(callback.clone()) {
                Ok(key) => Some((NodeRef::clone(node), key)),
                Err(_) => {
                    callback.fire();
                    None
                }
            }
        });
        AfterFunc {
            callback,
            registered,
        }
    }

    /// Stops the callback from running. Returns `true` iff this call stopped
    /// it; `false` if it has already started (or was already stopped).
    ///
    /// ```
    /// let (ctx, cancel) = context::Context::background().with_cancel();
    /// let f = ctx.after_func(|| unreachable!("stopped before the cancel"));
    /// assert!(f.stop());
    /// assert!(!f.stop());
    /// cancel.cancel();
    /// ```
    pub fn stop(&self) -> bool {
        if !self.callback.claim() {
            return false;
        }
        if let Some((node, key)) = &self.registered {
            node.remove_after(*key);
        }
        true
    }
}

impl fmt::Debug for AfterFunc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AfterFunc").finish_non_exhaustive()
    }
}
