//! Go's `Stream(ctx, out)` pattern: produce values until the consumer has
//! enough or the context is done, and return the context's error.
//!
//! ```go
//! func Stream(ctx context.Context, out chan<- Value) error {
//!     for {
//!         v, err := DoSomething(ctx)
//!         if err != nil { return err }
//!         select {
//!         case <-ctx.Done(): return ctx.Err()
//!         case out <- v:
//!         }
//!     }
//! }
//! ```
//!
//! Run it with `cargo run --example stream`.

use std::time::Duration;

use context::{ctx_aware, Context, Error};
use tokio::sync::mpsc;

/// Stands for real work (a query, a computation) that itself waits.
#[ctx_aware]
async fn do_something(n: u64) -> Result<u64, Error> {
    tokio::time::sleep(Duration::from_millis(10)).await; // raced against ctx
    Ok(n * n)
}

/// Sends values to `out` until the context ends; returns why it ended. Every
/// `.await` here (the work and the send) is raced against `ctx`.
#[ctx_aware]
async fn stream(out: mpsc::Sender<u64>) -> Result<(), Error> {
    for n in 0.. {
        let v = do_something(ctx, n).await?;
        if out.send(v).await.is_err() {
            return Ok(()); // the consumer is gone: nothing left to do
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() {
    // 1. The deadline ends the stream.
    let (ctx, _cancel) = Context::background().with_timeout(Duration::from_millis(100));
    let (tx, mut rx) = mpsc::channel(1);
    let producer = tokio::spawn(async move { stream(&ctx, tx).await });
    let mut got = Vec::new();
    while let Some(v) = rx.recv().await {
        got.push(v);
    }
    println!("received {got:?}");
    println!("producer returned {:?}", producer.await.unwrap());

    // 2. The consumer cancels once it has enough: a slow consumer and a
    //    full channel do not keep the producer alive.
    let (ctx, cancel) = Context::background().with_cancel();
    let (tx, mut rx) = mpsc::channel(1);
    let producer = tokio::spawn(async move { stream(&ctx, tx).await });
    let first_three: Vec<u64> = [rx.recv().await, rx.recv().await, rx.recv().await]
        .into_iter()
        .flatten()
        .collect();
    cancel.cancel();
    println!("took {first_three:?}, then cancelled");
    println!("producer returned {:?}", producer.await.unwrap());
}
