//! A tonic unary call on loopback, with and without the context layers
//! (issue 12), in one run on one single-threaded runtime (the least
//! scheduling noise on a 2-core machine, the same for every side):
//!
//! - `plain`: a server with no layer, a bare channel, a bare request;
//! - `plain_with_set_timeout`: the same with a 5 s deadline set by hand
//!   (`Request::set_timeout`), which tonic's server also turns into a
//!   timer: what a service that propagates deadlines without us pays;
//! - `context_layer_and_propagate`: a server behind `ContextLayer`, a
//!   channel behind `PropagateLayer`, each call made with
//!   `context::tonic::request` from a fresh 5 s context;
//! - `server_layer_only`, `client_layer_only`: one of the two.
//!
//! Drift on this shared machine is larger than the layers' cost, so each
//! timed call is followed by an untimed call of the `plain` side: every
//! side runs in the same conditions, interleaved.
#![allow(missing_docs)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use context::Context;
use context_e2e::{ask, connect, connect_plain, serve, Ask, HopClient};
use criterion::{criterion_group, criterion_main, Criterion};

type PlainClient = tonic::client::Grpc<tonic::transport::Channel>;

struct Clients {
    plain: PlainClient,
    layered: HopClient,
    server_only: PlainClient,
    client_only: HopClient,
    base: Context,
}

type Side = for<'a> fn(&'a mut Clients) -> Pin<Box<dyn Future<Output = ()> + 'a>>;

fn plain(c: &mut Clients) -> Pin<Box<dyn Future<Output = ()> + '_>> {
    Box::pin(async move {
        ask(&mut c.plain, tonic::Request::new(Ask::default()))
            .await
            .unwrap();
    })
}

fn plain_with_set_timeout(c: &mut Clients) -> Pin<Box<dyn Future<Output = ()> + '_>> {
    Box::pin(async move {
        let mut req = tonic::Request::new(Ask::default());
        req.set_timeout(Duration::from_secs(5));
        ask(&mut c.plain, req).await.unwrap();
    })
}

fn layered(c: &mut Clients) -> Pin<Box<dyn Future<Output = ()> + '_>> {
    Box::pin(async move {
        let (ctx, _cancel) = c.base.with_timeout(Duration::from_secs(5));
        let req = context::tonic::request(&ctx, Ask::default()).unwrap();
        ask(&mut c.layered, req).await.unwrap();
    })
}

fn server_only(c: &mut Clients) -> Pin<Box<dyn Future<Output = ()> + '_>> {
    Box::pin(async move {
        let mut req = tonic::Request::new(Ask::default());
        req.set_timeout(Duration::from_secs(5));
        ask(&mut c.server_only, req).await.unwrap();
    })
}

fn client_only(c: &mut Clients) -> Pin<Box<dyn Future<Output = ()> + '_>> {
    Box::pin(async move {
        let (ctx, _cancel) = c.base.with_timeout(Duration::from_secs(5));
        let req = context::tonic::request(&ctx, Ask::default()).unwrap();
        ask(&mut c.client_only, req).await.unwrap();
    })
}

fn unary(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut clients = rt.block_on(async {
        let plain_addr = serve(None, None, Arc::default()).await;
        let layered_addr = serve(Some(Context::background()), None, Arc::default()).await;
        Clients {
            plain: connect_plain(plain_addr).await,
            layered: connect(layered_addr).await,
            server_only: connect_plain(layered_addr).await,
            client_only: connect(plain_addr).await,
            base: Context::background(),
        }
    });
    let mut g = c.benchmark_group("tonic_unary_loopback");
    let sides: [(&str, Side); 5] = [
        ("plain", plain),
        ("plain_with_set_timeout", plain_with_set_timeout),
        ("context_layer_and_propagate", layered),
        ("server_layer_only", server_only),
        ("client_layer_only", client_only),
    ];
    for (name, side) in sides {
        g.bench_function(name, |b| {
            b.iter_custom(|n| {
                rt.block_on(async {
                    let mut timed = Duration::ZERO;
                    for _ in 0..n {
                        let start = Instant::now();
                        side(&mut clients).await;
                        timed += start.elapsed();
                        plain(&mut clients).await; // untimed, interleaved
                    }
                    timed
                })
            })
        });
    }
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
