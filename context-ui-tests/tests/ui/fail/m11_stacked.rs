//! Attributes above `#[ctx_aware]` that already rewrote the fn: the error
//! names the one above and the order that works (M11).
use context::ctx_aware;

async fn work() {}

#[tracing::instrument]
#[ctx_aware]
async fn instrumented() {
    #[shield]
    work().await;
}

#[tokio::main]
#[ctx_aware]
async fn main() {
    work().await;
}
