#![deny(warnings)]
//! `#[ctx_aware]` and the macros users race in (SPEC M3, second wave):
//! `tokio::select!` and `futures::select!` get the context's end as one
//! more branch, `join!`/`try_join!` are raced whole, and the awaits in
//! `assert!`/`format!`-like arguments are raced like any other. Each test
//! hangs or returns the wrong value without the rewriting: the futures
//! raced here never complete on their own.

use std::future::pending;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use context::{ctx_aware, CancelFunc, Context, Error};

#[derive(Debug, PartialEq)]
enum AppError {
    Ctx(Error),
    Refused,
}

impl From<Error> for AppError {
    fn from(e: Error) -> Self {
        AppError::Ctx(e)
    }
}

fn fresh() -> (Context, CancelFunc) {
    Context::background().with_cancel()
}

/// Runs `f` and, once it is pending, cancels: `join!` polls in order.
async fn cancel_while_pending<F: std::future::Future>(f: F, cancel: CancelFunc) -> F::Output {
    let (out, ()) = tokio::join!(f, async move {
        tokio::task::yield_now().await;
        cancel.cancel();
    });
    out
}

// ---- tokio::select! --------------------------------------------------------

#[ctx_aware]
async fn select_forever(rx: &mut tokio::sync::mpsc::Receiver<u32>) -> Result<u32, AppError> {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    tick.tick().await;
    tokio::select! {
        v = pending::<u32>() => Ok(v),
        Some(v) = rx.recv() => Ok(v),
        _ = tick.tick() => Err(AppError::Refused),
    }
}

#[tokio::test(start_paused = true)]
async fn m3_a_tokio_select_ends_when_its_context_does() {
    let (ctx, cancel) = fresh();
    let (_tx, mut rx) = tokio::sync::mpsc::channel(1);
    let out = cancel_while_pending(select_forever(&ctx, &mut rx), cancel).await;
    assert_eq!(out, Err(AppError::Ctx(Error::Canceled)));
}

#[tokio::test(start_paused = true)]
async fn m3_a_tokio_select_still_answers_when_a_branch_wins() {
    let (ctx, _cancel) = fresh();
    let (tx, mut rx) = tokio::sync::mpsc::channel(1);
    tx.send(7).await.unwrap();
    assert_eq!(select_forever(&ctx, &mut rx).await, Ok(7));
}

#[ctx_aware]
async fn select_polled(polled: &AtomicBool) -> Option<u32> {
    tokio::select! {
        biased;
        v = async { polled.store(true, Ordering::SeqCst); 1 } => Some(v),
    }
}

#[tokio::test]
async fn m3_c14_a_select_under_an_ended_context_polls_no_branch() {
    let (ctx, cancel) = fresh();
    cancel.cancel();
    let polled = AtomicBool::new(false);
    assert_eq!(select_polled(&ctx, &polled).await, None);
    assert!(!polled.load(Ordering::SeqCst));
    let (live, _k) = fresh();
    assert_eq!(select_polled(&live, &polled).await, Some(1));
    assert!(polled.load(Ordering::SeqCst));
}

#[ctx_aware]
async fn select_else(items: Option<u32>, enabled: bool) -> Option<&'static str> {
    tokio::select! {
        Some(_) = async { items } => Some("some"),
        _ = pending::<()>(), if enabled => Some("pending"),
        else => Some("else"),
    }
}

#[tokio::test(start_paused = true)]
async fn m3_else_still_runs_when_every_branch_is_disabled() {
    let (ctx, _cancel) = fresh();
    let within = |f| tokio::time::timeout(Duration::from_secs(60), f);
    // The pattern refuses `None` and the precondition is false: every
    // branch of the user's is out, and the added one must step aside.
    assert_eq!(
        within(select_else(&ctx, None, false)).await,
        Ok(Some("else"))
    );
    assert_eq!(
        within(select_else(&ctx, Some(1), false)).await,
        Ok(Some("some"))
    );
}

#[ctx_aware]
async fn select_two_refusals() -> Option<&'static str> {
    let (tx, rx) = tokio::sync::oneshot::channel::<u32>();
    let later = async move {
        tokio::task::yield_now().await;
        drop(tx);
        None::<u32>
    };
    tokio::select! {
        Some(_) = async { None::<u32> } => Some("first"),
        Some(_) = later => Some("second"),
        Ok(_) = rx => Some("third"),
        else => Some("else"),
    }
}

#[tokio::test(start_paused = true)]
async fn m3_else_runs_when_branches_are_refused_one_after_another() {
    // Refused in different rounds: the guard steps aside only after the
    // last one, and is woken then.
    let (ctx, _cancel) = fresh();
    let got = tokio::time::timeout(Duration::from_secs(60), select_two_refusals(&ctx)).await;
    assert_eq!(got, Ok(Some("else")));
}

#[ctx_aware]
async fn select_handler(log: &mut Vec<&'static str>) -> Result<(), AppError> {
    loop {
        tokio::select! {
            _ = async {} => {
                log.push("handler");
                // In the handler: the fn's body, raced like any await.
                pending::<()>().await;
                log.push("after");
            }
        }
    }
}

#[tokio::test]
async fn m3_awaits_in_a_select_handler_are_raced() {
    let (ctx, cancel) = fresh();
    let mut log = Vec::new();
    let out = cancel_while_pending(select_handler(&ctx, &mut log), cancel).await;
    assert_eq!(out, Err(AppError::Ctx(Error::Canceled)));
    assert_eq!(log, ["handler"]);
}

#[ctx_aware]
async fn select_deadline() -> Result<(), AppError> {
    tokio::select! {
        _ = tokio::time::sleep(Duration::from_secs(3)) => Err(AppError::Refused),
    }
}

#[tokio::test]
async fn m3_c7_a_deadline_ends_a_select() {
    // The newcomer's case from the issue: a 100 ms deadline around a 3 s
    // select used to run the 3 s.
    let (ctx, _k) = Context::background().with_timeout(Duration::from_millis(100));
    assert_eq!(
        select_deadline(&ctx).await,
        Err(AppError::Ctx(Error::DeadlineExceeded))
    );
}

// ---- join! / try_join! ------------------------------------------------------

#[ctx_aware]
async fn join_forever() -> Option<(u32, u32)> {
    Some(tokio::join!(async { 1 }, pending::<u32>()))
}

#[ctx_aware]
async fn try_join_forever() -> Result<(u32, u32), AppError> {
    let (a, b) = tokio::try_join!(async { Ok::<_, AppError>(1) }, async {
        pending::<Result<u32, AppError>>().await
    })?;
    Ok((a, b))
}

#[ctx_aware]
async fn futures_join_forever() -> Option<u32> {
    let (a, ()) = futures_util::join!(async { 1 }, pending::<()>());
    Some(a)
}

#[tokio::test]
async fn m3_joins_are_raced_whole() {
    let (ctx, cancel) = fresh();
    assert_eq!(cancel_while_pending(join_forever(&ctx), cancel).await, None);
    let (ctx, cancel) = fresh();
    assert_eq!(
        cancel_while_pending(try_join_forever(&ctx), cancel).await,
        Err(AppError::Ctx(Error::Canceled))
    );
    let (ctx, cancel) = fresh();
    assert_eq!(
        cancel_while_pending(futures_join_forever(&ctx), cancel).await,
        None
    );
}

#[ctx_aware]
async fn join_ready() -> Result<(u32, u32), AppError> {
    let (a, b) = tokio::try_join!(async { Ok::<_, AppError>(1) }, async { Ok(2) })?;
    Ok((a, b))
}

#[tokio::test]
async fn m3_a_join_that_finishes_gives_its_value() {
    let (ctx, _k) = fresh();
    assert_eq!(join_ready(&ctx).await, Ok((1, 2)));
}

// ---- futures::select! -------------------------------------------------------

#[ctx_aware]
async fn futures_select_forever() -> Result<u32, AppError> {
    use futures_util::FutureExt;
    let mut a = pending::<u32>().fuse();
    futures_util::select! {
        v = a => Ok(v),
        v = async { pending::<u32>().await }.fuse() => Ok(v),
    }
}

#[ctx_aware]
async fn futures_select_biased(polled: &AtomicBool) -> Option<u32> {
    use futures_util::FutureExt;
    futures_util::select_biased! {
        v = async { polled.store(true, Ordering::SeqCst); 5 }.fuse() => Some(v),
    }
}

#[tokio::test]
async fn m3_a_futures_select_ends_when_its_context_does() {
    let (ctx, cancel) = fresh();
    assert_eq!(
        cancel_while_pending(futures_select_forever(&ctx), cancel).await,
        Err(AppError::Ctx(Error::Canceled))
    );
    let polled = AtomicBool::new(false);
    let (ctx, cancel) = fresh();
    cancel.cancel();
    assert_eq!(futures_select_biased(&ctx, &polled).await, None);
    assert!(!polled.load(Ordering::SeqCst));
    let (ctx, _k) = fresh();
    assert_eq!(futures_select_biased(&ctx, &polled).await, Some(5));
}

// ---- expression macros --------------------------------------------------------

#[ctx_aware]
async fn formatted(log: &mut Vec<String>) {
    log.push(format!("first {}", async { 1 }.await));
    log.push(format!("never {}", pending::<u32>().await));
}

#[tokio::test]
async fn m3_awaits_in_format_like_macros_are_raced() {
    let (ctx, cancel) = fresh();
    let mut log = Vec::new();
    cancel_while_pending(formatted(&ctx, &mut log), cancel).await;
    assert_eq!(log, ["first 1"]);
}
