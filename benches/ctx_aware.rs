//! Per-await cost of `#[ctx_aware]`: an annotated fn with 10 awaits against
//! the same fn without the macro, against a hand-written
//! `tokio::select! { biased; _ = token.cancelled() => .., v = fut => v }` and
//! `token.run_until_cancelled(fut)` per await, and against racing the whole
//! body once with `ctx.run(..)`; and a `tokio::select!` the macro races
//! against the same select without it and with a token branch written by
//! hand. Figures: `context-core/benches/README.md`.
#![allow(missing_docs)]

use std::future::ready;
use std::hint::black_box;
use std::time::{Duration, Instant};

use context::{ctx_aware, Context};
use criterion::{criterion_group, criterion_main, Criterion};
use tokio_util::sync::CancellationToken;

async fn yielding() -> u64 {
    tokio::task::yield_now().await;
    1
}

// ---- ready futures ----

async fn plain_ready() -> Option<u64> {
    let mut s = 0;
    s += ready(black_box(1)).await;
    s += ready(black_box(1)).await;
    s += ready(black_box(1)).await;
    s += ready(black_box(1)).await;
    s += ready(black_box(1)).await;
    s += ready(black_box(1)).await;
    s += ready(black_box(1)).await;
    s += ready(black_box(1)).await;
    s += ready(black_box(1)).await;
    s += ready(black_box(1)).await;
    Some(s)
}

#[ctx_aware]
async fn annotated_ready() -> Option<u64> {
    let mut s = 0;
    s += ready(black_box(1)).await;
    s += ready(black_box(1)).await;
    s += ready(black_box(1)).await;
    s += ready(black_box(1)).await;
    s += ready(black_box(1)).await;
    s += ready(black_box(1)).await;
    s += ready(black_box(1)).await;
    s += ready(black_box(1)).await;
    s += ready(black_box(1)).await;
    s += ready(black_box(1)).await;
    Some(s)
}

async fn select_ready(token: &CancellationToken) -> Option<u64> {
    let mut s = 0;
    s += tokio::select! { biased; _ = token.cancelled() => return None, v = ready(black_box(1)) => v };
    s += tokio::select! { biased; _ = token.cancelled() => return None, v = ready(black_box(1)) => v };
    s += tokio::select! { biased; _ = token.cancelled() => return None, v = ready(black_box(1)) => v };
    s += tokio::select! { biased; _ = token.cancelled() => return None, v = ready(black_box(1)) => v };
    s += tokio::select! { biased; _ = token.cancelled() => return None, v = ready(black_box(1)) => v };
    s += tokio::select! { biased; _ = token.cancelled() => return None, v = ready(black_box(1)) => v };
    s += tokio::select! { biased; _ = token.cancelled() => return None, v = ready(black_box(1)) => v };
    s += tokio::select! { biased; _ = token.cancelled() => return None, v = ready(black_box(1)) => v };
    s += tokio::select! { biased; _ = token.cancelled() => return None, v = ready(black_box(1)) => v };
    s += tokio::select! { biased; _ = token.cancelled() => return None, v = ready(black_box(1)) => v };
    Some(s)
}

async fn until_ready(token: &CancellationToken) -> Option<u64> {
    let mut s = 0;
    s += token.run_until_cancelled(ready(black_box(1))).await?;
    s += token.run_until_cancelled(ready(black_box(1))).await?;
    s += token.run_until_cancelled(ready(black_box(1))).await?;
    s += token.run_until_cancelled(ready(black_box(1))).await?;
    s += token.run_until_cancelled(ready(black_box(1))).await?;
    s += token.run_until_cancelled(ready(black_box(1))).await?;
    s += token.run_until_cancelled(ready(black_box(1))).await?;
    s += token.run_until_cancelled(ready(black_box(1))).await?;
    s += token.run_until_cancelled(ready(black_box(1))).await?;
    s += token.run_until_cancelled(ready(black_box(1))).await?;
    Some(s)
}

// ---- suspending futures ----

async fn plain_yield() -> Option<u64> {
    let mut s = 0;
    s += yielding().await;
    s += yielding().await;
    s += yielding().await;
    s += yielding().await;
    s += yielding().await;
    s += yielding().await;
    s += yielding().await;
    s += yielding().await;
    s += yielding().await;
    s += yielding().await;
    Some(s)
}

#[ctx_aware]
async fn annotated_yield() -> Option<u64> {
    let mut s = 0;
    s += yielding().await;
    s += yielding().await;
    s += yielding().await;
    s += yielding().await;
    s += yielding().await;
    s += yielding().await;
    s += yielding().await;
    s += yielding().await;
    s += yielding().await;
    s += yielding().await;
    Some(s)
}

async fn select_yield(token: &CancellationToken) -> Option<u64> {
    let mut s = 0;
    s += tokio::select! { biased; _ = token.cancelled() => return None, v = yielding() => v };
    s += tokio::select! { biased; _ = token.cancelled() => return None, v = yielding() => v };
    s += tokio::select! { biased; _ = token.cancelled() => return None, v = yielding() => v };
    s += tokio::select! { biased; _ = token.cancelled() => return None, v = yielding() => v };
    s += tokio::select! { biased; _ = token.cancelled() => return None, v = yielding() => v };
    s += tokio::select! { biased; _ = token.cancelled() => return None, v = yielding() => v };
    s += tokio::select! { biased; _ = token.cancelled() => return None, v = yielding() => v };
    s += tokio::select! { biased; _ = token.cancelled() => return None, v = yielding() => v };
    s += tokio::select! { biased; _ = token.cancelled() => return None, v = yielding() => v };
    s += tokio::select! { biased; _ = token.cancelled() => return None, v = yielding() => v };
    Some(s)
}

async fn until_yield(token: &CancellationToken) -> Option<u64> {
    let mut s = 0;
    s += token.run_until_cancelled(yielding()).await?;
    s += token.run_until_cancelled(yielding()).await?;
    s += token.run_until_cancelled(yielding()).await?;
    s += token.run_until_cancelled(yielding()).await?;
    s += token.run_until_cancelled(yielding()).await?;
    s += token.run_until_cancelled(yielding()).await?;
    s += token.run_until_cancelled(yielding()).await?;
    s += token.run_until_cancelled(yielding()).await?;
    s += token.run_until_cancelled(yielding()).await?;
    s += token.run_until_cancelled(yielding()).await?;
    Some(s)
}

// ---- a two-branch `tokio::select!` (issue 11: raced by the macro) ----

async fn plain_select() -> Option<u64> {
    tokio::select! {
        v = yielding() => Some(v),
        _ = std::future::pending::<()>() => None,
    }
}

#[ctx_aware]
async fn annotated_select() -> Option<u64> {
    tokio::select! {
        v = yielding() => Some(v),
        _ = std::future::pending::<()>() => None,
    }
}

async fn token_select(token: &CancellationToken) -> Option<u64> {
    tokio::select! {
        biased;
        _ = token.cancelled() => None,
        v = yielding() => Some(v),
        _ = std::future::pending::<()>() => None,
    }
}

/// Time of `iters` calls of `f` (10 awaits each) inside one `block_on`.
fn calls<F: std::future::Future<Output = Option<u64>>>(
    rt: &tokio::runtime::Runtime,
    iters: u64,
    f: impl Fn() -> F,
) -> Duration {
    rt.block_on(async {
        let start = Instant::now();
        for _ in 0..iters {
            black_box(f().await);
        }
        start.elapsed()
    })
}

/// One group: the five variants of the same 10-await fn, side by side.
macro_rules! variants {
    ($c:expr, $rt:expr, $ctx:expr, $token:expr, $group:literal,
     $plain:ident, $annotated:ident, $select:ident, $until:ident) => {{
        let (rt, ctx, token) = ($rt, $ctx, $token);
        let mut g = $c.benchmark_group($group);
        g.bench_function("plain", |b| b.iter_custom(|n| calls(rt, n, $plain)));
        g.bench_function("ctx_aware", |b| {
            b.iter_custom(|n| calls(rt, n, || $annotated(ctx)))
        });
        g.bench_function("whole_body_ctx_run", |b| {
            b.iter_custom(|n| calls(rt, n, || async { ctx.run($plain()).await.ok().flatten() }))
        });
        g.bench_function("select_biased_token", |b| {
            b.iter_custom(|n| calls(rt, n, || $select(token)))
        });
        g.bench_function("run_until_cancelled", |b| {
            b.iter_custom(|n| calls(rt, n, || $until(token)))
        });
        g.finish();
    }};
}

fn per_await(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let (ctx, _cancel) = Context::background().with_cancel();
    let token = CancellationToken::new();
    variants!(
        c,
        &rt,
        &ctx,
        &token,
        "fn_with_10_ready_awaits",
        plain_ready,
        annotated_ready,
        select_ready,
        until_ready
    );
    variants!(
        c,
        &rt,
        &ctx,
        &token,
        "fn_with_10_yield_now_awaits",
        plain_yield,
        annotated_yield,
        select_yield,
        until_yield
    );
}

fn select(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let (ctx, _cancel) = Context::background().with_cancel();
    let token = CancellationToken::new();
    let mut g = c.benchmark_group("select_two_branches_one_yield");
    g.bench_function("plain", |b| b.iter_custom(|n| calls(&rt, n, plain_select)));
    g.bench_function("ctx_aware", |b| {
        b.iter_custom(|n| calls(&rt, n, || annotated_select(&ctx)))
    });
    g.bench_function("token_branch_by_hand", |b| {
        b.iter_custom(|n| calls(&rt, n, || token_select(&token)))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = per_await, select
}
criterion_main!(benches);
