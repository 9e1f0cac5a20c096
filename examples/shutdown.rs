//! Shutdown done right: a signal cancels a context, every worker sees it at
//! its next await and returns, and `main` waits for them all before it
//! exits: no `sleep` hoping they stopped.
//!
//! The workers run in a `Group` (Go's errgroup): a worker that fails would
//! stop its siblings the same way.
//!
//! Run it with `cargo run --example shutdown`. It sends itself a SIGTERM
//! after a second (pass `--wait` to wait for your own Ctrl-C instead).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use context::signal::{notify_context, Signal};
use context::{ctx_aware, Context, Error, Group};

/// A worker: processes jobs until its context ends.
#[ctx_aware]
async fn worker(id: u32, done_jobs: Arc<AtomicU64>) -> Result<(), Error> {
    loop {
        // a job: every await in here is raced against ctx
        tokio::time::sleep(Duration::from_millis(50 + 30 * u64::from(id))).await;
        done_jobs.fetch_add(1, Ordering::Relaxed);
    }
}

#[tokio::main]
async fn main() {
    let (ctx, _stop) = notify_context(
        &Context::background(),
        &[Signal::Interrupt, Signal::Terminate],
    );
    let jobs = Arc::new(AtomicU64::new(0));

    let group = Group::new(&ctx);
    for id in 1..=3 {
        let jobs = jobs.clone();
        group.spawn(move |ctx| async move {
            let r = worker(&ctx, id, jobs).await;
            println!("worker {id}: stopped ({})", r.unwrap_err());
            Ok::<_, std::io::Error>(())
        });
    }
    println!("3 workers running; Ctrl-C or SIGTERM stops them");

    if !std::env::args().any(|a| a == "--wait") {
        tokio::spawn(async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let pid = std::process::id().to_string();
            std::process::Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .expect("kill");
        });
    }

    ctx.done().await;
    println!("{}: stopping", ctx.cause().expect("done"));
    // Returns once every worker has returned: nothing is left running.
    group.wait().await.expect("no worker failed");
    println!(
        "all workers stopped after {} jobs",
        jobs.load(Ordering::Relaxed)
    );
}
