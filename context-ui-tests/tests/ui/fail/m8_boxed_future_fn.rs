//! A free sync fn that returns a boxed future by hand is not an `async fn`
//! (M8), whatever its return type is named; it is not `#[async_trait]`'s.
use std::future::Future;
use std::pin::Pin;

use context::ctx_aware;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

#[ctx_aware]
fn by_hand() -> Pin<Box<dyn Future<Output = u32> + Send>> {
    Box::pin(async { 1 })
}

#[ctx_aware]
fn by_alias() -> BoxFuture<'static, u32> {
    Box::pin(async { 1 })
}

fn main() {}
