//! The context tree on one screen.
//!
//! 1. Two contexts: a parent cancelled after a delay and a child derived
//!    from it. Cancelling the parent ends both; each says why.
//! 2. Three monitor tasks that each tick until their context is cancelled,
//!    then return, instead of leaking as tasks that nobody stops.
//!
//! Run it with `cargo run --example tree`.

use std::time::Duration;

use context::Context;

#[tokio::main]
async fn main() {
    // 1. A parent cancelled after 100 ms, and a child with a 10 s timeout.
    let (parent, cancel_parent) = Context::background().with_cancel();
    let (child, _cancel_child) = parent.with_timeout(Duration::from_secs(10));
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        cancel_parent.cancel();
    });
    child.done().await;
    println!("parent: {:?}", parent.err());
    println!(
        "child:  {:?} (its parent ended it, long before its own deadline)",
        child.err()
    );

    // 2. Three monitors, stopped by one cancel.
    let (ctx, cancel) = Context::background().with_cancel();
    let monitors: Vec<_> = (1..=3)
        .map(|id| {
            let ctx = ctx.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_millis(20 * id));
                let mut ticks = 0u32;
                loop {
                    match ctx.run(tick.tick()).await {
                        Ok(_) => ticks += 1,
                        Err(e) => {
                            println!("monitor {id}: stopped after {ticks} ticks ({e})");
                            return ticks;
                        }
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(150)).await;
    cancel.cancel();
    for m in monitors {
        m.await.expect("a monitor panicked");
    }
    println!("all monitors stopped: no task outlives its context");
}
