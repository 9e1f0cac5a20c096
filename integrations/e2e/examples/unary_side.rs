//! One side of `benches/unary.rs`, alone in a process, for counting what a
//! call costs in instructions (which, unlike time, does not drift with the
//! machine): `valgrind --tool=callgrind` on two runs of different lengths,
//! the difference divided by the difference in calls.
//!
//! ```text
//! cargo build --release --example unary_side --manifest-path integrations/e2e/Cargo.toml
//! valgrind --tool=callgrind target/release/examples/unary_side layered 1000
//! valgrind --tool=callgrind target/release/examples/unary_side layered 3000
//! ```
//!
//! Sides: `by_hand` (no layer, the time left of a 5 s deadline set with
//! `set_timeout`), `layered` (both layers, `context::tonic::request` from a
//! fresh 5 s context), `server_only`, `client_only`. Prints the time per
//! call, in µs (one process is one sitting: for time, use the bench).

use std::sync::Arc;
use std::time::{Duration, Instant};

use context::Context;
use context_e2e::{ask, connect, connect_plain, serve, Ask};

/// A 5 s deadline propagated by hand, as a service without us does.
fn by_hand() -> tonic::Request<Ask> {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut req = tonic::Request::new(Ask::default());
    req.set_timeout(deadline.saturating_duration_since(Instant::now()));
    req
}

fn main() {
    let usage = "usage: unary_side by_hand|layered|server_only|client_only CALLS";
    let mut args = std::env::args().skip(1);
    let side = args.next().expect(usage);
    let calls: u32 = args.next().and_then(|n| n.parse().ok()).expect(usage);
    let (layered_server, layered_client) = match side.as_str() {
        "by_hand" => (false, false),
        "layered" => (true, true),
        "server_only" => (true, false),
        "client_only" => (false, true),
        _ => panic!("{usage}"),
    };
    // The shared deadline timer is a thread: with it, glibc runs as a
    // multi-threaded process (locked malloc arenas, cancellable syscalls),
    // a cost of about 1 µs a call here that is not the layers'. Every side
    // gets it, as in the bench, where it is up from the first layered call.
    let (_timer, _keep) = Context::background().with_timeout(Duration::from_secs(3600));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let took = rt.block_on(async {
        let base = Context::background();
        let server = layered_server.then(Context::background);
        let addr = serve(server, None, Arc::default()).await;
        if layered_client {
            let mut client = connect(addr).await;
            let start = Instant::now();
            for _ in 0..calls {
                let (ctx, _cancel) = base.with_timeout(Duration::from_secs(5));
                let req = context::tonic::request(&ctx, Ask::default()).expect("live");
                ask(&mut client, req).await.expect("answered");
            }
            start.elapsed()
        } else {
            let mut client = connect_plain(addr).await;
            let start = Instant::now();
            for _ in 0..calls {
                ask(&mut client, by_hand()).await.expect("answered");
            }
            start.elapsed()
        }
    });
    println!(
        "{:.2} µs per call",
        took.as_secs_f64() * 1e6 / f64::from(calls)
    );
}
