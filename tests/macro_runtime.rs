//! `#[ctx_aware]` at run time: every accepted shape (M1, M5), racing at each
//! await (M3), `#[shield]` (M4), hygiene and spans (M9), `crate = ..`.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Poll;

use context::{ctx_aware, Context, Error};

#[derive(Debug, PartialEq)]
enum AppError {
    Ctx(Error),
    Other,
}

impl From<Error> for AppError {
    fn from(e: Error) -> Self {
        AppError::Ctx(e)
    }
}

fn cancelled() -> (Context, context::CancelFunc) {
    let (ctx, cancel) = Context::background().with_cancel();
    cancel.cancel();
    (ctx, cancel)
}

async fn ready<T>(v: T) -> T {
    v
}

// ---- M1: injection ---------------------------------------------------------

#[ctx_aware]
async fn double(x: u64) -> Result<u64, AppError> {
    let x = ready(x).await;
    Ok(x * 2)
}

#[ctx_aware]
async fn already_has_ctx(ctx: &Context, x: u8) -> Option<u8> {
    assert!(!ctx.is_done());
    Some(ready(x).await)
}

#[ctx_aware]
async fn with_where<T>(v: T) -> Option<T>
where
    T: Clone + Send,
{
    Some(ready(v.clone()).await)
}

#[tokio::test]
async fn m1_ctx_is_injected_first_or_kept() {
    let (ctx, _k) = Context::background().with_cancel();
    assert_eq!(double(&ctx, 21).await, Ok(42));
    assert_eq!(already_has_ctx(&ctx, 3).await, Some(3));
    assert_eq!(with_where(&ctx, "x").await, Some("x"));
    let (done, _k) = cancelled();
    assert_eq!(double(&done, 21).await, Err(AppError::Ctx(Error::Canceled)));
    assert_eq!(with_where(&done, 1).await, None);
}

struct Counter {
    n: u32,
}

#[ctx_aware]
impl Counter {
    async fn get(&self) -> Option<u32> {
        Some(ready(self.n).await)
    }

    async fn bump(&mut self) -> Option<u32> {
        self.n += ready(1).await;
        Some(self.n)
    }

    async fn pinned(self: Pin<&mut Self>) -> Option<u32> {
        Some(ready(self.n).await)
    }

    fn sync_helper(&self) -> u32 {
        self.n // non-async fns in an annotated impl are left alone
    }
}

#[tokio::test]
async fn m1_m5_receivers_in_an_annotated_impl() {
    let (ctx, _k) = Context::background().with_cancel();
    let mut c = Counter { n: 1 };
    assert_eq!(c.get(&ctx).await, Some(1));
    assert_eq!(c.bump(&ctx).await, Some(2));
    assert_eq!(Pin::new(&mut c).pinned(&ctx).await, Some(2));
    assert_eq!(c.sync_helper(), 2);
    let (done, _k) = cancelled();
    assert_eq!(c.bump(&done).await, None);
    assert_eq!(c.n, 2, "the body stopped at the first await");
}

#[ctx_aware]
trait Store {
    async fn load(&self, key: u8) -> Result<u8, AppError>;

    async fn load_twice(&self, key: u8) -> Result<u8, AppError> {
        let a = self.load(ctx, key).await?;
        let b = self.load(ctx, key).await?;
        Ok(a + b)
    }
}

struct Mem;

#[ctx_aware]
impl Store for Mem {
    async fn load(&self, key: u8) -> Result<u8, AppError> {
        Ok(ready(key).await)
    }
}

#[tokio::test]
async fn m1_m5_trait_methods_with_and_without_default_bodies() {
    let (ctx, _k) = Context::background().with_cancel();
    assert_eq!(Mem.load_twice(&ctx, 4).await, Ok(8));
    let (done, _k) = cancelled();
    assert_eq!(
        Mem.load_twice(&done, 4).await,
        Err(AppError::Ctx(Error::Canceled))
    );
}

#[ctx_aware]
#[async_trait::async_trait]
trait DynStore: Send + Sync {
    async fn get(&self, key: u8) -> Option<u8>;
}

#[ctx_aware]
#[async_trait::async_trait]
impl DynStore for Mem {
    async fn get(&self, key: u8) -> Option<u8> {
        Some(ready(key).await + 1)
    }
}

#[tokio::test]
async fn m1_m11_above_async_trait_with_dyn_calls() {
    let (ctx, _k) = Context::background().with_cancel();
    let store: Box<dyn DynStore> = Box::new(Mem);
    assert_eq!(store.get(&ctx, 1).await, Some(2));
    let (done, _k) = cancelled();
    assert_eq!(store.get(&done, 1).await, None);
}

#[ctx_aware]
mod service {
    use super::ready;

    pub async fn lookup(id: u32) -> Option<u32> {
        Some(ready(id).await)
    }

    pub fn plain() -> u32 {
        7
    }

    pub struct Holder {
        pub id: u32,
    }
}

#[tokio::test]
async fn m5_inline_mod() {
    let (ctx, _k) = Context::background().with_cancel();
    assert_eq!(service::lookup(&ctx, 9).await, Some(9));
    assert_eq!(service::plain(), 7);
    assert_eq!(service::Holder { id: 1 }.id, 1);
}

// ---- M3: return kinds ------------------------------------------------------

type MyResult<T> = Result<T, AppError>;

#[ctx_aware]
async fn unit(hits: &AtomicUsize) {
    ready(()).await;
    hits.fetch_add(1, Ordering::SeqCst);
}

#[ctx_aware]
async fn aliased() -> MyResult<u8> {
    Ok(ready(1).await)
}

#[ctx_aware]
async fn io_result() -> io::Result<u8> {
    Ok(ready(1).await)
}

#[ctx_aware]
async fn impl_trait_ok() -> Result<impl std::fmt::Display, AppError> {
    Ok(ready(5).await)
}

#[tokio::test]
async fn m3_every_return_kind_returns_early() {
    let (done, _k) = cancelled();
    let hits = AtomicUsize::new(0);
    unit(&done, &hits).await;
    assert_eq!(hits.load(Ordering::SeqCst), 0);
    assert_eq!(aliased(&done).await, Err(AppError::Ctx(Error::Canceled)));
    let e = io_result(&done).await.unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::Other);
    assert_eq!(
        e.get_ref().unwrap().downcast_ref::<Error>(),
        Some(&Error::Canceled)
    );
    assert!(matches!(
        impl_trait_ok(&done).await,
        Err(AppError::Ctx(Error::Canceled))
    ));

    let (ctx, _k) = Context::background().with_cancel();
    unit(&ctx, &hits).await;
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    assert_eq!(aliased(&ctx).await, Ok(1));
    assert_eq!(impl_trait_ok(&ctx).await.unwrap().to_string(), "5");
}

// ---- M3: racing at each await ----------------------------------------------

struct Flag(Arc<AtomicBool>);
impl Drop for Flag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Pending until dropped; records that.
fn pending_until_dropped(dropped: Arc<AtomicBool>) -> impl Future<Output = ()> {
    let flag = Flag(dropped);
    async move {
        let _f = flag;
        std::future::pending::<()>().await
    }
}

fn records_poll(polled: Arc<AtomicBool>) -> impl Future<Output = ()> {
    std::future::poll_fn(move |_| {
        polled.store(true, Ordering::SeqCst);
        Poll::Ready(())
    })
}

#[ctx_aware]
async fn three_steps(
    steps: Arc<AtomicUsize>,
    second_dropped: Arc<AtomicBool>,
    third_polled: Arc<AtomicBool>,
) -> Result<(), AppError> {
    ready(()).await;
    steps.fetch_add(1, Ordering::SeqCst);
    pending_until_dropped(second_dropped).await;
    steps.fetch_add(1, Ordering::SeqCst);
    records_poll(third_polled).await;
    Ok(())
}

#[tokio::test]
async fn m3_cancel_at_the_second_of_three_awaits() {
    let (ctx, cancel) = Context::background().with_cancel();
    let steps = Arc::new(AtomicUsize::new(0));
    let dropped = Arc::new(AtomicBool::new(false));
    let third = Arc::new(AtomicBool::new(false));
    let run = three_steps(&ctx, steps.clone(), dropped.clone(), third.clone());
    let canceller = async {
        tokio::task::yield_now().await;
        cancel.cancel();
    };
    let (r, ()) = tokio::join!(run, canceller);
    assert_eq!(r, Err(AppError::Ctx(Error::Canceled)));
    assert_eq!(steps.load(Ordering::SeqCst), 1);
    assert!(
        dropped.load(Ordering::SeqCst),
        "the pending future was dropped"
    );
    assert!(
        !third.load(Ordering::SeqCst),
        "the third future was never polled"
    );
}

#[ctx_aware]
async fn control_flow(items: Vec<Option<u8>>, seen: &AtomicUsize) -> Result<u32, AppError> {
    let mut sum = 0u32;
    for item in items {
        let Some(v) = ready(item).await else {
            continue;
        };
        if let Some(w) = ready(Some(v)).await {
            sum += match ready(w).await {
                0 => 0,
                n => u32::from(n),
            };
        }
        let r: Result<u8, AppError> = Ok(v);
        sum += u32::from(ready(r).await?);
        seen.fetch_add(1, Ordering::SeqCst);
    }
    let mut rounds = 0;
    while rounds < 2 {
        rounds += ready(1).await;
    }
    Ok(sum)
}

#[tokio::test]
async fn m3_awaits_in_loops_match_if_let_let_else_and_try_chains() {
    let (ctx, _k) = Context::background().with_cancel();
    let seen = AtomicUsize::new(0);
    assert_eq!(
        control_flow(&ctx, vec![Some(1), None, Some(2)], &seen).await,
        Ok(6)
    );
    assert_eq!(seen.load(Ordering::SeqCst), 2);
    let (done, _k) = cancelled();
    assert_eq!(
        control_flow(&done, vec![Some(1)], &seen).await,
        Err(AppError::Ctx(Error::Canceled))
    );
    assert_eq!(seen.load(Ordering::SeqCst), 2);
}

#[ctx_aware]
async fn waits_for_done() -> Option<&'static str> {
    ctx.done().await;
    Some("after done")
}

#[ctx_aware]
async fn spawns_unraced(counter: Arc<AtomicUsize>) -> Option<()> {
    let c = counter.clone();
    let inner = async move {
        ready(()).await; // inside an async block: not raced
        c.fetch_add(1, Ordering::SeqCst);
    };
    tokio::spawn(inner).await.unwrap_or(()); // raced: returns None on a done ctx
    Some(())
}

#[tokio::test]
async fn m3_done_awaits_and_nested_async_blocks_are_left_alone() {
    let (done, _k) = cancelled();
    assert_eq!(waits_for_done(&done).await, Some("after done"));
    let counter = Arc::new(AtomicUsize::new(0));
    assert_eq!(spawns_unraced(&done, counter.clone()).await, None);
    // the spawned block still runs to completion: its await was not raced
    for _ in 0..100 {
        if counter.load(Ordering::SeqCst) == 1 {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(counter.load(Ordering::SeqCst), 1);
}

// ---- M4: #[shield] ---------------------------------------------------------

#[ctx_aware]
async fn cleanup(flushed: &AtomicUsize) -> Option<()> {
    #[shield]
    ready(()).await;
    flushed.fetch_add(1, Ordering::SeqCst);
    let v = #[shield]
    ready(2).await;
    flushed.fetch_add(v, Ordering::SeqCst);
    ready(()).await; // raced: returns here
    flushed.fetch_add(100, Ordering::SeqCst);
    Some(())
}

#[tokio::test]
async fn m4_shielded_awaits_finish_after_cancel() {
    let (done, _k) = cancelled();
    let flushed = AtomicUsize::new(0);
    assert_eq!(cleanup(&done, &flushed).await, None);
    assert_eq!(flushed.load(Ordering::SeqCst), 3);
}

// ---- M9: hygiene and spans -------------------------------------------------

#[ctx_aware]
async fn shadows_ctx() -> Option<u32> {
    let ctx = 5u32; // the user's own `ctx`
    let v = ready(ctx).await; // still raced against the real context
    Some(v)
}

#[tokio::test]
async fn m9_shadowing_ctx_keeps_the_races() {
    let (live, _k) = Context::background().with_cancel();
    assert_eq!(shadows_ctx(&live).await, Some(5));
    let (done, _k) = cancelled();
    assert_eq!(shadows_ctx(&done).await, None);
}

const ATTR_LINE: u32 = line!() + 1;
#[ctx_aware]
async fn where_am_i() -> Option<u32> {
    ready(()).await;
    Some(line!())
}

#[tokio::test]
async fn m9_spans_stay_on_the_users_lines() {
    let (ctx, _k) = Context::background().with_cancel();
    // `line!()` sits three lines below the attribute; with lost spans it
    // would report the attribute's own line.
    assert_eq!(where_am_i(&ctx).await, Some(ATTR_LINE + 3));
}

// ---- crate = path ----------------------------------------------------------

mod reexport {
    pub use ::context as ctxlib;
}

#[ctx_aware(crate = crate::reexport::ctxlib)]
async fn through_reexport() -> Option<u8> {
    Some(ready(1).await)
}

#[tokio::test]
async fn crate_path_argument() {
    let (ctx, _k) = Context::background().with_cancel();
    assert_eq!(through_reexport(&ctx).await, Some(1));
}

#[test]
fn other_error_variant_is_used() {
    assert_ne!(AppError::Other, AppError::Ctx(Error::Canceled));
}
