//! `Group`: Go's `errgroup.WithContext`, with tasks that cannot outlive it.

use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context as TaskCx, Poll};

use tokio::task::JoinSet;

use crate::{CancelFunc, Cause, Context};

/// A set of tasks sharing one context: the first task to fail cancels the
/// others (Go's `errgroup.WithContext`).
///
/// - [`Group::new`] derives the group's context from a parent.
/// - [`spawn`](Group::spawn) runs a task on tokio with that context.
/// - The first task to return `Err` (or to panic) cancels the group's context
///   with that error as its [`cause`](Context::cause).
/// - [`wait`](Group::wait) returns once every task has ended, with the first
///   error; then the group's context is cancelled, as Go's `Wait` does.
/// - Dropping the group cancels its context and aborts every task still
///   running: no task outlives the group.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use std::io;
/// use context::{Context, Group};
///
/// let group = Group::new(&Context::background());
/// group.spawn(|ctx| async move {
///     ctx.done().await; // stopped by the sibling's failure
///     Ok::<_, io::Error>(())
/// });
/// group.spawn(|_ctx| async { Err(io::Error::other("backend down")) });
/// let err = group.wait().await.unwrap_err();
/// assert_eq!(err.to_string(), "backend down");
/// # }
/// ```
// The group owns its context: it is the tree's own plumbing, made by
// `Group::new` and handed to each task as an argument.
// ctx-lint: allow(ctx-in-struct)
pub struct Group {
    ctx: Context,
    cancel: Arc<CancelFunc>,
    tasks: Mutex<JoinSet<()>>,
    first: Arc<Mutex<Option<Cause>>>,
}

/// A task that panicked; its message, if it had one.
#[derive(Debug)]
pub struct TaskPanicked(pub String);

impl fmt::Display for TaskPanicked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a group task panicked: {}", self.0)
    }
}

impl std::error::Error for TaskPanicked {}

/// Records the first error and cancels the group with it: the group's
/// `cause()` is that very error, so callers can downcast it.
fn fail(first: &Mutex<Option<Cause>>, cancel: &CancelFunc, err: Cause) {
    let mut slot = first.lock().unwrap_or_else(PoisonError::into_inner);
    if slot.is_none() {
        *slot = Some(Arc::clone(&err));
        drop(slot);
        cancel.cancel_with_shared_cause(err);
    }
}

impl Group {
    /// A group whose context is a child of `parent`.
    pub fn new(parent: &Context) -> Group {
        let (ctx, cancel) = parent.with_cancel();
        Group {
            ctx,
            cancel: Arc::new(cancel),
            tasks: Mutex::new(JoinSet::new()),
            first: Arc::default(),
        }
    }

    /// The group's context: done when a task fails, when the group is
    /// waited on or dropped, or when the parent is done.
    pub fn context(&self) -> &Context {
        &self.ctx
    }

    /// Runs `f(ctx)` as a tokio task, with a clone of the group's context.
    /// Must be called within a tokio runtime (like `tokio::spawn`).
    pub fn spawn<F, Fut, E>(&self, f: F)
    where
        F: FnOnce(Context) -> Fut,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: std::error::Error + Send + Sync + 'static,
    {
        let fut = f(self.ctx.clone());
        let first = Arc::clone(&self.first);
        let cancel = Arc::clone(&self.cancel);
        let task = async move {
            // A panic is caught where it happens, with its message, so that
            // the siblings are cancelled at once and `wait` reports it.
            let result = match (CatchPanic { fut }).await {
                Ok(result) => result.map_err(|e| -> Cause { Arc::new(e) }),
                Err(panic) => Err(Arc::new(TaskPanicked(panic_message(panic))) as Cause),
            };
            if let Err(e) = result {
                fail(&first, &cancel, e);
            }
        };
        self.tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .spawn(task);
    }

    /// Waits for every task to end; returns the first error (a panic counts
    /// as one: [`TaskPanicked`]). Cancels the group's context afterwards.
    pub async fn wait(self) -> Result<(), Cause> {
        let mut tasks =
            std::mem::take(&mut *self.tasks.lock().unwrap_or_else(PoisonError::into_inner));
        // Tasks catch their own panics; none is aborted while `self` lives.
        while tasks.join_next().await.is_some() {}
        self.cancel.cancel();
        let first = self
            .first
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        first.map_or(Ok(()), Err)
    }
}

pin_project_lite::pin_project! {
    /// A task's future, with its panics caught: `Err` holds the payload.
    struct CatchPanic<F> {
        #[pin]
        fut: F,
    }
}

impl<F: Future> Future for CatchPanic<F> {
    type Output = Result<F::Output, Box<dyn std::any::Any + Send>>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskCx<'_>) -> Poll<Self::Output> {
        let fut = self.project().fut;
        match catch_unwind(AssertUnwindSafe(|| fut.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

impl Drop for Group {
    /// Cancels the context; the `JoinSet` aborts every task still running.
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

impl fmt::Debug for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Group")
            .field("ctx", &self.ctx)
            .finish_non_exhaustive()
    }
}
