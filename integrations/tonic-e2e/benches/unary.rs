//! A tonic unary call on loopback, with and without the context layers
//! (issue 12): the plain side is a server with no layer and a bare channel;
//! the context side is a server behind `ContextLayer` and a channel behind
//! `PropagateLayer`, each call made with `context::tonic::request` from a
//! fresh 5 s context (the deadline travels as `grpc-timeout`). A third
//! side is the plain one with the same deadline set by hand
//! (`Request::set_timeout`), which tonic's server also turns into a timer:
//! what a service that propagates deadlines without us pays. Same run,
//! same runtime; the figure is the time per call.
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use context::Context;
use context_tonic_e2e::{ask, connect, connect_plain, serve, Ask};
use criterion::{criterion_group, criterion_main, Criterion};

fn unary(c: &mut Criterion) {
    // One thread for the servers and the client: the least scheduling
    // noise on a 2-core machine, and the same for both sides.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (mut plain, mut layered, mut server_only, mut client_only) = rt.block_on(async {
        let plain_addr = serve(None, None, Arc::default()).await;
        let layered_addr = serve(Some(Context::background()), None, Arc::default()).await;
        (
            connect_plain(plain_addr).await,
            connect(layered_addr).await,
            connect_plain(layered_addr).await,
            connect(plain_addr).await,
        )
    });
    let base = Context::background();
    let mut g = c.benchmark_group("tonic_unary_loopback");
    g.bench_function("plain", |b| {
        b.iter_custom(|n| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..n {
                    let req = tonic::Request::new(Ask::default());
                    ask(&mut plain, req).await.unwrap();
                }
                start.elapsed()
            })
        })
    });
    g.bench_function("plain_with_set_timeout", |b| {
        b.iter_custom(|n| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..n {
                    let mut req = tonic::Request::new(Ask::default());
                    req.set_timeout(Duration::from_secs(5));
                    ask(&mut plain, req).await.unwrap();
                }
                start.elapsed()
            })
        })
    });
    g.bench_function("context_layer_and_propagate", |b| {
        b.iter_custom(|n| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..n {
                    let (ctx, _cancel) = base.with_timeout(Duration::from_secs(5));
                    let req = context::tonic::request(&ctx, Ask::default()).unwrap();
                    ask(&mut layered, req).await.unwrap();
                }
                start.elapsed()
            })
        })
    });
    g.bench_function("server_layer_only", |b| {
        b.iter_custom(|n| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..n {
                    let mut req = tonic::Request::new(Ask::default());
                    req.set_timeout(Duration::from_secs(5));
                    ask(&mut server_only, req).await.unwrap();
                }
                start.elapsed()
            })
        })
    });
    g.bench_function("client_layer_only", |b| {
        b.iter_custom(|n| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..n {
                    let (ctx, _cancel) = base.with_timeout(Duration::from_secs(5));
                    let req = context::tonic::request(&ctx, Ask::default()).unwrap();
                    ask(&mut client_only, req).await.unwrap();
                }
                start.elapsed()
            })
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(8));
    targets = unary
}
criterion_main!(benches);
