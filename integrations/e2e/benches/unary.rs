//! A tonic unary call on loopback, with and without the context layers
//! (issue 12), in one run on one single-threaded runtime (the least
//! scheduling noise on a 2-core machine, the same for every side):
//!
//! - `plain`: a server with no layer, a bare channel, a bare request;
//! - `plain_with_set_timeout`: the same with a 5 s deadline set by hand
//!   (`Request::set_timeout`), which tonic's server also turns into a
//!   timer: what a service that propagates deadlines without us pays;
//! - `plain_propagating_by_hand`: the same, the timeout being what is left
//!   of a 5 s deadline (`set_timeout(deadline - now)`), as a service
//!   propagates deadlines by hand (tonic cuts it to whole microseconds:
//!   `4999999u` on every call, which HPACK sends as a one-byte index);
//! - `context_layer_and_propagate`: a server behind `ContextLayer`, a
//!   channel behind `PropagateLayer`, each call made with
//!   `context::tonic::request` from a fresh 5 s context;
//! - `context_layers_no_deadline`: the same from a context without a
//!   deadline (no `grpc-timeout` on the wire, as `plain`);
//! - `server_layer_only`, `client_layer_only`: one of the two.
//!
//! Drift on this shared machine (slow spells seconds long) is larger than
//! the layers' cost, so besides each side's own figures `rotated_rounds`
//! runs every side for a few milliseconds in turn, in rotating order, and
//! prints the medians of the per-round ratios to `plain`, which a slow
//! spell moves much less.
#![allow(missing_docs)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use context::Context;
use context_e2e::{ask, connect, connect_plain, serve, Ask, HopClient};
use criterion::{criterion_group, criterion_main, Criterion};

type PlainClient = tonic::client::Grpc<tonic::transport::Channel>;

/// One client, and so one connection, per side: a side that shared its
/// connection with the one before it would find it warm.
struct Clients {
    plain: PlainClient,
    set_timeout: PlainClient,
    by_hand: PlainClient,
    layered: HopClient,
    layered_no_deadline: HopClient,
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
        ask(&mut c.set_timeout, req).await.unwrap();
    })
}

fn by_hand(c: &mut Clients) -> Pin<Box<dyn Future<Output = ()> + '_>> {
    Box::pin(async move {
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut req = tonic::Request::new(Ask::default());
        req.set_timeout(deadline.saturating_duration_since(Instant::now()));
        ask(&mut c.by_hand, req).await.unwrap();
    })
}

fn layered(c: &mut Clients) -> Pin<Box<dyn Future<Output = ()> + '_>> {
    Box::pin(async move {
        let (ctx, _cancel) = c.base.with_timeout(Duration::from_secs(5));
        let req = context::tonic::request(&ctx, Ask::default()).unwrap();
        ask(&mut c.layered, req).await.unwrap();
    })
}

fn layered_no_deadline(c: &mut Clients) -> Pin<Box<dyn Future<Output = ()> + '_>> {
    Box::pin(async move {
        let req = context::tonic::request(&c.base, Ask::default()).unwrap();
        ask(&mut c.layered_no_deadline, req).await.unwrap();
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

/// Calls per side in one round of `rotated_rounds`: a few milliseconds,
/// short enough that the machine's slow spells rarely split a round.
const ROUND_CALLS: usize = 64;

const SIDES: usize = 7;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
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
            set_timeout: connect_plain(plain_addr).await,
            by_hand: connect_plain(plain_addr).await,
            layered: connect(layered_addr).await,
            layered_no_deadline: connect(layered_addr).await,
            server_only: connect_plain(layered_addr).await,
            client_only: connect(plain_addr).await,
            base: Context::background(),
        }
    });
    let mut g = c.benchmark_group("tonic_unary_loopback");
    let sides: [(&str, Side); SIDES] = [
        ("plain", plain),
        ("plain_with_set_timeout", plain_with_set_timeout),
        ("plain_propagating_by_hand", by_hand),
        ("context_layer_and_propagate", layered),
        ("context_layers_no_deadline", layered_no_deadline),
        ("server_layer_only", server_only),
        ("client_layer_only", client_only),
    ];
    for (name, side) in sides {
        g.bench_function(name, |b| {
            b.iter_custom(|n| {
                rt.block_on(async {
                    let start = Instant::now();
                    for _ in 0..n {
                        side(&mut clients).await;
                    }
                    start.elapsed()
                })
            })
        });
    }
    // Each iteration: one round, `ROUND_CALLS` calls of every side back to
    // back, in an order that rotates from round to round; its time is the
    // round's per-call time summed over the sides. The per-round ratios
    // to `plain` compare sides measured within milliseconds of each other.
    let mut rounds: Vec<[f64; SIDES]> = Vec::new();
    g.bench_function("rotated_rounds", |b| {
        b.iter_custom(|n| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..n {
                    let mut t = [0.0; SIDES];
                    for k in 0..SIDES {
                        let s = (rounds.len() + k) % SIDES;
                        let start = Instant::now();
                        for _ in 0..ROUND_CALLS {
                            sides[s].1(&mut clients).await;
                        }
                        let took = start.elapsed();
                        total += took / ROUND_CALLS as u32;
                        t[s] = took.as_secs_f64();
                    }
                    rounds.push(t);
                }
                total
            })
        })
    });
    g.finish();
    if !rounds.is_empty() {
        let ratio = |s: usize, to: usize| {
            median(&mut rounds.iter().map(|t| t[s] / t[to]).collect::<Vec<_>>())
        };
        let per_call = |s: usize| {
            median(&mut rounds.iter().map(|t| t[s]).collect::<Vec<_>>()) / ROUND_CALLS as f64 * 1e6
        };
        println!(
            "tonic_unary_loopback: {} rotated rounds of {ROUND_CALLS} calls per side; \
             median per call, and medians of the per-round ratios to plain, \
             to plain_with_set_timeout and to plain_propagating_by_hand:",
            rounds.len()
        );
        for (s, (name, _)) in sides.iter().enumerate() {
            println!(
                "  {name:<28} {:>7.2} µs  {:.3}  {:.3}  {:.3}",
                per_call(s),
                ratio(s, 0),
                ratio(s, 1),
                ratio(s, 2)
            );
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(8));
    targets = unary
}
criterion_main!(benches);
