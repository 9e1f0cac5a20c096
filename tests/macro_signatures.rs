//! Real-world signatures and shapes that `#[ctx_aware]` must take as they
//! are (issue 11, items 3-8), under `#![deny(warnings)]` here and
//! `clippy -D warnings` in CI: elided output lifetimes (M1), hand-written
//! boxed futures in an annotated `impl`/`trait` (M5), test fns inside an
//! annotated `mod`, and an expansion that adds no lint (M9).
#![deny(warnings)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use context::{ctx_aware, Context, Error};

#[derive(Debug, PartialEq)]
struct AppError(Error);

impl From<Error> for AppError {
    fn from(e: Error) -> Self {
        AppError(e)
    }
}

async fn ready<T>(v: T) -> T {
    v
}

// ---- item 3: elided lifetimes mean what they meant --------------------------

#[ctx_aware]
async fn first_word(s: &str) -> Option<&str> {
    ready(()).await;
    s.split(' ').next()
}

#[ctx_aware]
async fn evens(v: &[u8]) -> Option<impl Iterator<Item = &u8> + '_> {
    ready(()).await;
    Some(v.iter().filter(|b| *b % 2 == 0))
}

#[ctx_aware]
async fn named<'a>(s: &'a str, n: usize) -> Option<&'a str> {
    ready(()).await;
    s.get(..n)
}

struct Store {
    data: String,
}

impl Store {
    #[ctx_aware]
    async fn get(self: Arc<Self>, key: &str) -> Result<&str, AppError> {
        ready(()).await;
        Ok(if self.data.contains(key) { key } else { "" })
    }

    #[ctx_aware]
    async fn by_ref(&self, _key: &str) -> Option<&str> {
        ready(()).await;
        Some(&self.data)
    }
}

#[tokio::test]
async fn m1_elided_output_lifetimes_keep_their_meaning() {
    let (ctx, cancel) = Context::background().with_cancel();
    let text = String::from("hello world");
    assert_eq!(first_word(&ctx, &text).await, Some("hello"));
    let bytes = [1u8, 2, 3, 4];
    let got: Vec<_> = evens(&ctx, &bytes).await.unwrap().copied().collect();
    assert_eq!(got, [2, 4]);
    assert_eq!(named(&ctx, &text, 4).await, Some("hell"));
    let store = Arc::new(Store { data: "abc".into() });
    let key = String::from("b");
    assert_eq!(store.clone().get(&ctx, &key).await, Ok("b"));
    assert_eq!(store.by_ref(&ctx, &key).await, Some("abc"));
    cancel.cancel();
    assert_eq!(first_word(&ctx, &text).await, None);
    assert_eq!(store.get(&ctx, &key).await, Err(AppError(Error::Canceled)));
}

// ---- item 5: other crates' `Context` is not ours, ours under any name is --

mod lambda {
    pub struct Context {
        pub request_id: u32,
    }
}

mod otel {
    #[derive(Clone)]
    pub struct Context;
}

#[ctx_aware]
async fn lambda_handler(event: String, l: lambda::Context) -> Option<String> {
    ready(()).await;
    Some(format!("{event}:{}", l.request_id))
}

#[ctx_aware]
async fn traced(cx: otel::Context) -> Option<otel::Context> {
    Some(ready(cx).await)
}

mod aliased {
    use super::ready;
    use context::Context as Ctx;
    pub type Shared = context::Context;

    #[context::ctx_aware]
    pub async fn renamed(ctx: &Ctx) -> Option<bool> {
        ready(()).await;
        Some(ctx.is_done())
    }

    #[context::ctx_aware]
    pub async fn by_alias(ctx: &Shared) -> Option<bool> {
        Some(ready(ctx.is_done()).await)
    }
}

#[tokio::test]
async fn m1_m2_other_crates_contexts_are_theirs_and_ours_is_ours_by_any_name() {
    let (ctx, cancel) = Context::background().with_cancel();
    // `ctx` was inserted before another crate's `Context` (no false M2).
    let l = lambda::Context { request_id: 7 };
    assert_eq!(
        lambda_handler(&ctx, "ev".into(), l).await,
        Some("ev:7".into())
    );
    assert!(traced(&ctx, otel::Context).await.is_some());
    // Ours under a rename or an alias is taken as the context, not wrapped.
    assert_eq!(aliased::renamed(&ctx).await, Some(false));
    assert_eq!(aliased::by_alias(&ctx).await, Some(false));
    cancel.cancel();
    assert!(traced(&ctx, otel::Context).await.is_none());
    assert_eq!(aliased::renamed(&ctx).await, None);
}

// ---- item 6: sync fns returning boxed futures are left alone (M5) -----------

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

struct Service;

#[ctx_aware]
impl Service {
    async fn raced(&self) -> Option<u32> {
        Some(ready(1).await)
    }

    // tower's `Service::call` shape.
    fn call(&mut self, v: u32) -> Pin<Box<dyn Future<Output = u32> + Send>> {
        Box::pin(async move { v + 1 })
    }

    fn boxed(&self) -> BoxFuture<'_, u32> {
        Box::pin(async { 2 })
    }
}

#[ctx_aware]
trait Handler {
    async fn handle(&self) -> Option<u32>;

    fn sync_fun(&self) -> Pin<Box<dyn Future<Output = u32> + Send + '_>> {
        Box::pin(async { 3 })
    }
}

#[ctx_aware]
impl Handler for Service {
    async fn handle(&self) -> Option<u32> {
        Some(4)
    }
}

#[tokio::test]
async fn m5_hand_written_boxed_futures_keep_their_signature() {
    let (ctx, _cancel) = Context::background().with_cancel();
    let mut s = Service;
    assert_eq!(s.call(1).await, 2); // no `ctx` inserted
    assert_eq!(s.boxed().await, 2);
    assert_eq!(s.sync_fun().await, 3);
    assert_eq!(s.raced(&ctx).await, Some(1));
    assert_eq!(s.handle(&ctx).await, Some(4));
}

// ---- item 7: tests inside an annotated module are left alone ----------------

#[ctx_aware]
mod annotated {
    use super::ready;

    pub async fn double(x: u32) -> Option<u32> {
        Some(ready(x).await * 2)
    }

    #[cfg(test)]
    mod tests {
        use context::Context;

        #[tokio::test]
        async fn m5_a_tokio_test_inside_an_annotated_mod_runs() {
            // No M7 warning here (`deny(warnings)` would turn it into an error).
            let ctx = Context::background();
            assert_eq!(super::double(&ctx, 4).await, Some(8));
        }

        #[test]
        fn m5_a_sync_test_inside_an_annotated_mod_runs() {
            assert!(!Context::background().is_done());
        }
    }
}

// ---- item 8: the expansion adds no lint -------------------------------------

async fn unit() {}

#[ctx_aware]
async fn clean_shapes(rx: tokio::sync::oneshot::Receiver<u32>) -> Option<u32> {
    let sleep = tokio::time::sleep(std::time::Duration::from_millis(1));
    tokio::pin!(sleep);
    (&mut sleep).await;
    let mut rx = rx;
    let got = (&mut rx).await.ok()?;
    let more = (async { 1 }).await;
    let v = unit().await;
    let _ = unit().await;
    let () = v;
    Some(got + more)
}

#[tokio::test]
async fn m9_parenthesised_and_unit_awaits_expand_cleanly() {
    let (ctx, _cancel) = Context::background().with_cancel();
    let (tx, rx) = tokio::sync::oneshot::channel();
    tx.send(41).unwrap();
    assert_eq!(clean_shapes(&ctx, rx).await, Some(42));
}
