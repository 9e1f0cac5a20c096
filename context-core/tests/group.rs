//! `Group` (SPEC "Beyond the tree"): Go's errgroup.
#![cfg(not(loom))]

use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use context_core::{Context, Error, Group, TaskPanicked};

const EVENTUALLY: Duration = Duration::from_secs(10);

#[derive(Debug)]
struct Backend(&'static str);
impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}
impl std::error::Error for Backend {}

#[tokio::test]
async fn group_first_error_cancels_siblings_and_is_the_cause() {
    let group = Group::new(&Context::background());
    let ctx = group.context().clone();
    let stopped = Arc::new(AtomicUsize::new(0));
    for _ in 0..3 {
        let stopped = stopped.clone();
        group.spawn(move |ctx| async move {
            ctx.done().await;
            stopped.fetch_add(1, Ordering::SeqCst);
            Ok::<_, Backend>(())
        });
    }
    group.spawn(|_| async { Err(Backend("db down")) });
    let err = tokio::time::timeout(EVENTUALLY, group.wait())
        .await
        .expect("siblings never stopped")
        .unwrap_err();
    assert_eq!(err.downcast_ref::<Backend>().unwrap().0, "db down");
    assert_eq!(stopped.load(Ordering::SeqCst), 3);
    assert_eq!(ctx.err(), Some(Error::Canceled));
    assert_eq!(
        ctx.cause().unwrap().downcast_ref::<Backend>().unwrap().0,
        "db down"
    );
}

#[tokio::test]
async fn group_wait_returns_ok_after_every_task_and_cancels_the_context() {
    let group = Group::new(&Context::background());
    let ctx = group.context().clone();
    let done = Arc::new(AtomicUsize::new(0));
    for i in 0..5u64 {
        let done = done.clone();
        group.spawn(move |ctx| async move {
            assert!(!ctx.is_done());
            tokio::time::sleep(Duration::from_millis(i)).await;
            done.fetch_add(1, Ordering::SeqCst);
            Ok::<_, io::Error>(())
        });
    }
    assert!(group.wait().await.is_ok());
    assert_eq!(
        done.load(Ordering::SeqCst),
        5,
        "wait returned before every task ended"
    );
    assert!(ctx.is_done(), "Go's Wait cancels the group's context");
}

struct DropFlag(Arc<AtomicBool>);
impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn group_drop_cancels_and_aborts_every_task() {
    let aborted = Arc::new(AtomicBool::new(false));
    let group = Group::new(&Context::background());
    let ctx = group.context().clone();
    let flag = DropFlag(aborted.clone());
    let (tx, rx) = tokio::sync::oneshot::channel();
    group.spawn(move |_ctx| async move {
        let _flag = flag;
        tx.send(()).unwrap();
        // ignores its context: only an abort can stop it
        std::future::pending::<()>().await;
        Ok::<_, io::Error>(())
    });
    rx.await.unwrap(); // the task is running
    drop(group);
    assert!(ctx.is_done());
    tokio::time::timeout(EVENTUALLY, async {
        while !aborted.load(Ordering::SeqCst) {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("a task outlived its group");
}

#[tokio::test]
async fn group_a_panicking_task_is_reported_not_lost() {
    let group = Group::new(&Context::background());
    let ctx = group.context().clone();
    group.spawn(|ctx| async move {
        ctx.done().await;
        Ok::<_, io::Error>(())
    });
    group.spawn(|_| async {
        if true {
            panic!("boom");
        }
        Ok::<_, io::Error>(())
    });
    let err = tokio::time::timeout(EVENTUALLY, group.wait())
        .await
        .unwrap()
        .unwrap_err();
    // The task's own message arrives, not a placeholder (issue 10, item 7).
    let panicked = err.downcast_ref::<TaskPanicked>().expect("a TaskPanicked");
    assert_eq!(panicked.0, "boom");
    assert!(ctx.is_done());
    let cause = ctx.cause().unwrap();
    assert_eq!(cause.downcast_ref::<TaskPanicked>().unwrap().0, "boom");
}

#[tokio::test]
async fn group_a_panic_with_a_formatted_message_reports_it() {
    let group = Group::new(&Context::background());
    group.spawn(|_| async {
        let code = 7;
        if code > 0 {
            panic!("backend {code} exploded");
        }
        Ok::<_, io::Error>(())
    });
    let err = group.wait().await.unwrap_err();
    assert_eq!(
        err.downcast_ref::<TaskPanicked>().unwrap().0,
        "backend 7 exploded"
    );
}

#[tokio::test]
async fn group_follows_its_parent() {
    let (parent, cancel) = Context::background().with_cancel();
    let group = Group::new(&parent);
    group.spawn(|ctx| async move {
        ctx.done().await;
        Ok::<_, io::Error>(())
    });
    cancel.cancel();
    assert!(tokio::time::timeout(EVENTUALLY, group.wait())
        .await
        .unwrap()
        .is_ok());
}
