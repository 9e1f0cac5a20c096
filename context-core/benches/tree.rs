//! The tree against tokio-util's `CancellationToken` (and plain `.await`,
//! `tokio::time::timeout`), side by side in one run. Results and ratios:
//! `benches/README.md`.

use std::future::{ready, Future};
use std::hint::black_box;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use context_core::Context;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use tokio_util::sync::CancellationToken;

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn is_done(c: &mut Criterion) {
    let mut g = c.benchmark_group("is_done_live_child");
    let (parent, _k) = Context::background().with_cancel();
    let (ctx, _k2) = parent.with_cancel();
    g.bench_function("context", |b| b.iter(|| black_box(&ctx).is_done()));
    let token = CancellationToken::new().child_token();
    g.bench_function("tokio_util", |b| {
        b.iter(|| black_box(&token).is_cancelled())
    });
    g.finish();
}

fn create_cancel_drop(c: &mut Criterion) {
    let mut g = c.benchmark_group("child_create_cancel_drop");
    let (parent, _k) = Context::background().with_cancel();
    g.bench_function("context", |b| {
        b.iter(|| {
            let (ctx, cancel) = black_box(&parent).with_cancel();
            cancel.cancel();
            drop((ctx, cancel));
        })
    });
    let token = CancellationToken::new();
    g.bench_function("tokio_util", |b| {
        b.iter(|| {
            let child = black_box(&token).child_token();
            child.cancel();
            drop(child);
        })
    });
    g.finish();
}

/// Two threads each run `iters` cycles of `cycle` at once; the wall time.
fn on_two_threads(iters: u64, cycle: impl Fn() + Sync) -> Duration {
    let start = std::sync::Barrier::new(2);
    std::thread::scope(|s| {
        let other = s.spawn(|| {
            start.wait();
            for _ in 0..iters {
                cycle();
            }
        });
        start.wait();
        let t = Instant::now();
        for _ in 0..iters {
            cycle();
        }
        other.join().unwrap();
        t.elapsed()
    })
}

/// The same cycle with two threads on one parent: its lock contended.
fn create_cancel_drop_contended(c: &mut Criterion) {
    let mut g = c.benchmark_group("child_create_cancel_drop_2_threads_one_parent");
    let (parent, _k) = Context::background().with_cancel();
    g.bench_function("context", |b| {
        b.iter_custom(|n| {
            on_two_threads(n, || {
                let (ctx, cancel) = black_box(&parent).with_cancel();
                cancel.cancel();
                drop((ctx, cancel));
            })
        })
    });
    let token = CancellationToken::new();
    g.bench_function("tokio_util", |b| {
        b.iter_custom(|n| {
            on_two_threads(n, || {
                let child = black_box(&token).child_token();
                child.cancel();
                drop(child);
            })
        })
    });
    g.finish();
}

fn cancel_trees(c: &mut Criterion) {
    let mut g = c.benchmark_group("cancel_1_root_1000_children");
    g.bench_function("context", |b| {
        b.iter_batched(
            || {
                let (root, cancel) = Context::background().with_cancel();
                let kids: Vec<_> = (0..1000).map(|_| root.with_cancel()).collect();
                (cancel, kids)
            },
            |(cancel, kids)| {
                cancel.cancel();
                (cancel, kids)
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("tokio_util", |b| {
        b.iter_batched(
            || {
                let root = CancellationToken::new();
                let kids: Vec<_> = (0..1000).map(|_| root.child_token()).collect();
                (root, kids)
            },
            |(root, kids)| {
                root.cancel();
                (root, kids)
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();

    // The walk of the shutdown shape below without the scheduler: 10,000
    // children each with a registered waiter, polled once with a waker that
    // counts; only the cancel is timed. What it measures is the walk's
    // memory traffic (the children's order in memory, what each touches),
    // so the set-up is a server's: each child made beside other memory of
    // its request (200 bytes here), and more than this core's L2 cache
    // written over before the cancel (request contexts were not all touched
    // a moment ago).
    let counter = Arc::new(CountWakes::default());
    let waker = Waker::from(counter.clone());
    let mut flush = vec![0u8; 4 << 20];
    let mut evict = move || {
        for (i, b) in flush.iter_mut().enumerate().step_by(64) {
            *b = b.wrapping_add(i as u8);
        }
        black_box(&flush);
    };
    let mut g = c.benchmark_group("cancel_1_root_10k_awaited_children");
    g.sample_size(30);
    g.bench_function("context", |b| {
        b.iter_batched(
            || {
                let (root, cancel) = Context::background().with_cancel();
                let (kids, waits) = awaited(|| root.with_cancel(), |(k, _)| k.done_owned(), &waker);
                evict();
                (cancel, kids, waits)
            },
            |(cancel, kids, waits)| {
                cancel.cancel();
                (cancel, kids, waits)
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("tokio_util", |b| {
        b.iter_batched(
            || {
                let root = CancellationToken::new();
                let (kids, waits) = awaited(
                    || root.child_token(),
                    |k| k.clone().cancelled_owned(),
                    &waker,
                );
                evict();
                (root, kids, waits)
            },
            |(root, kids, waits)| {
                root.cancel();
                (root, kids, waits)
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("floor_flag_and_waker_slot_per_child", |b| {
        b.iter_batched(
            || {
                let kids: Vec<_> = (0..AWAITED)
                    .map(|_| (Arc::new(BareChild::default()), request_memory()))
                    .collect();
                let mut cx = std::task::Context::from_waker(&waker);
                for (k, _) in &kids {
                    assert!(k.poll(&mut cx).is_pending());
                }
                evict();
                kids
            },
            |kids| {
                fire_all(kids.iter().map(|(k, _)| k));
                kids
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();

    let mut g = c.benchmark_group("cancel_1000_deep_chain");
    g.bench_function("context", |b| {
        b.iter_batched(
            || {
                let (root, cancel) = Context::background().with_cancel();
                let mut cur = root;
                let mut keep = Vec::with_capacity(1000);
                for _ in 0..1000 {
                    let (c, k) = cur.with_cancel();
                    keep.push(k);
                    cur = c;
                }
                (cancel, keep)
            },
            |(cancel, keep)| {
                cancel.cancel();
                (cancel, keep)
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("tokio_util", |b| {
        b.iter_batched(
            || {
                let root = CancellationToken::new();
                let mut cur = root.clone();
                let mut keep = Vec::with_capacity(1000);
                for _ in 0..1000 {
                    cur = cur.child_token();
                    keep.push(cur.clone());
                }
                (root, keep)
            },
            |(root, keep)| {
                root.cancel();
                (root, keep)
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

/// Parks a task on each of `waits` (each reports once it is parked), then
/// runs `fire`, whose future yields when the firing call returned; returns
/// [until it returned, until the last task had run].
fn park_then<W, F>(
    rt: &tokio::runtime::Runtime,
    waits: Vec<W>,
    fire: impl FnOnce() -> F,
) -> [Duration; 2]
where
    W: Future<Output = ()> + Send + 'static,
    F: Future<Output = Instant>,
{
    rt.block_on(async {
        let n = waits.len();
        let parked = Arc::new(tokio::sync::Semaphore::new(0));
        let left = Arc::new(AtomicUsize::new(n));
        let all_ran = Arc::new(tokio::sync::Notify::new());
        for fut in waits {
            let (parked, left, all_ran) = (parked.clone(), left.clone(), all_ran.clone());
            tokio::spawn(async move {
                let mut fut = pin!(fut);
                std::future::poll_fn(|cx| {
                    if fut.as_mut().poll(cx).is_pending() {
                        parked.add_permits(1);
                    }
                    Poll::Ready(())
                })
                .await;
                fut.await;
                if left.fetch_sub(1, Ordering::AcqRel) == 1 {
                    all_ran.notify_one();
                }
            });
        }
        let _all = parked.acquire_many(n as u32).await.unwrap();
        let start = Instant::now();
        let returned = fire().await;
        all_ran.notified().await;
        [returned - start, start.elapsed()]
    })
}

/// Parks `n` tasks on `wait`, then times `fire` (called from outside the
/// runtime) until the last task has run.
fn wake_all<W, F>(rt: &tokio::runtime::Runtime, n: usize, wait: W, fire: impl FnOnce()) -> Duration
where
    W: Fn() -> F,
    F: Future<Output = ()> + Send + 'static,
{
    let waits = (0..n).map(|_| wait()).collect();
    park_then(rt, waits, || {
        fire();
        ready(Instant::now())
    })[1]
}

fn wake_ours(rt: &tokio::runtime::Runtime) -> Duration {
    let (ctx, cancel) = Context::background().with_cancel();
    wake_all(
        rt,
        10_000,
        || {
            let ctx = ctx.clone();
            async move { ctx.done().await }
        },
        || cancel.cancel(),
    )
}

fn wake_peer(rt: &tokio::runtime::Runtime) -> Duration {
    let token = CancellationToken::new();
    wake_all(
        rt,
        10_000,
        || {
            let t = token.clone();
            async move { t.cancelled().await }
        },
        || token.cancel(),
    )
}

/// The floor under any waiter list: a bare `Vec<Waker>` behind a mutex,
/// taken whole and woken in a loop. What it costs is tokio's (queueing,
/// running and freeing 10,000 tasks): no waiter list does less work.
#[derive(Default)]
struct BareWakers {
    fired: AtomicBool,
    wakers: Mutex<Vec<Waker>>,
}

fn wake_floor(rt: &tokio::runtime::Runtime) -> Duration {
    let list = Arc::new(BareWakers::default());
    wake_all(
        rt,
        10_000,
        || {
            let list = list.clone();
            std::future::poll_fn(move |cx| {
                if list.fired.load(Ordering::Acquire) {
                    return Poll::Ready(());
                }
                let mut w = list.wakers.lock().unwrap();
                // Checked again under the lock, or a fire in between would be missed.
                if list.fired.load(Ordering::Acquire) {
                    return Poll::Ready(());
                }
                w.push(cx.waker().clone());
                Poll::Pending
            })
        },
        || {
            let all = {
                let mut w = list.wakers.lock().unwrap();
                list.fired.store(true, Ordering::Release);
                std::mem::take(&mut *w)
            };
            for w in all {
                w.wake();
            }
        },
    )
}

type Side = fn(&tokio::runtime::Runtime) -> Duration;

/// One round of each side, in an order that rotates with `round`; their
/// times in `sides` order.
fn rotated_round<T: Copy + Default>(round: usize, side: impl Fn(usize) -> T) -> [T; 3] {
    let mut t = [T::default(); 3];
    for k in 0..3 {
        let s = (round + k) % 3;
        t[s] = side(s);
    }
    t
}

/// Registers `rotated_rounds` in `g`: each iteration is one rotated round
/// of the three sides, timed as `total` says. Returns every round's figures.
fn rotated_rounds<T: Copy + Default>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    side: impl Fn(usize) -> T,
    total: impl Fn(&[T; 3]) -> Duration,
) -> Vec<[T; 3]> {
    let mut rounds = Vec::new();
    g.bench_function("rotated_rounds", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    let t = rotated_round(rounds.len(), &side);
                    rounds.push(t);
                    total(&t)
                })
                .sum()
        })
    });
    rounds
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Scheduler-bound: the time is mostly tokio queueing, running and freeing
/// 10,000 tasks, and this shared machine has slow spells seconds long that
/// move one side's samples by 2× while the next side runs in a calm one.
/// So besides each side's own figures, `rotated_rounds` runs the three
/// sides back to back in rotating order and prints the medians of the
/// per-round ratios, which a slow spell moves much less. `floor` is the bare
/// waker list above.
fn wake_10k(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let sides: [Side; 3] = [wake_ours, wake_peer, wake_floor];
    let mut g = c.benchmark_group("wake_10k_parked_tasks");
    g.sample_size(20);
    for (side, name) in sides
        .iter()
        .zip(["context", "tokio_util", "floor_bare_vec_of_wakers"])
    {
        g.bench_function(name, |b| {
            b.iter_custom(|iters| (0..iters).map(|_| side(&rt)).sum())
        });
    }
    let r = rotated_rounds(
        &mut g,
        |s| sides[s](&rt).as_secs_f64(),
        |t| Duration::from_secs_f64(t.iter().sum()),
    );
    g.finish();
    if !r.is_empty() {
        let ratio =
            |a: usize, b: usize| median(&mut r.iter().map(|t| t[a] / t[b]).collect::<Vec<_>>());
        println!(
            "wake_10k_parked_tasks: medians of per-round ratios over {} rotated rounds: \
             context/tokio_util {:.2}, floor/tokio_util {:.2}, context/floor {:.2}",
            r.len(),
            ratio(0, 1),
            ratio(2, 1),
            ratio(0, 2)
        );
    }
}

/// The server-shutdown shape: a root with `CHILDREN` children (one per
/// request), each awaited by its own task; the root is cancelled from a
/// task on a 2-worker runtime. One round: parks the tasks on `waits`, runs
/// `fire` in a task, and returns [until `fire` returned, until the last
/// task had run].
const CHILDREN: usize = 10_000;

fn shutdown_round<F>(
    rt: &tokio::runtime::Runtime,
    waits: Vec<F>,
    fire: impl FnOnce() + Send + 'static,
) -> [Duration; 2]
where
    F: Future<Output = ()> + Send + 'static,
{
    park_then(rt, waits, || async {
        tokio::spawn(async move {
            fire();
            Instant::now()
        })
        .await
        .unwrap()
    })
}

/// Each task holds a clone of its child; the `CancelFunc`s are held
/// elsewhere (`drop_on_wake`: each task holds its own and drops both as
/// soon as it wakes, so children are freed while the cancel goes on).
fn shutdown_ours(rt: &tokio::runtime::Runtime, drop_on_wake: bool) -> [Duration; 2] {
    let (root, cancel) = Context::background().with_cancel();
    let mut keep = Vec::with_capacity(CHILDREN);
    let mut waits = Vec::with_capacity(CHILDREN);
    for _ in 0..CHILDREN {
        let (child, child_cancel) = root.with_cancel();
        let mine = if drop_on_wake {
            Some(child_cancel)
        } else {
            keep.push(child_cancel);
            None
        };
        waits.push(async move {
            child.done().await;
            drop(mine);
            drop(child);
        });
    }
    let t = shutdown_round(rt, waits, move || cancel.cancel());
    drop(keep);
    t
}

fn shutdown_peer(rt: &tokio::runtime::Runtime, drop_on_wake: bool) -> [Duration; 2] {
    let root = CancellationToken::new();
    let mut keep = Vec::with_capacity(CHILDREN);
    let mut waits = Vec::with_capacity(CHILDREN);
    for _ in 0..CHILDREN {
        let child = root.child_token();
        if !drop_on_wake {
            keep.push(child.clone());
        }
        waits.push(async move {
            child.cancelled().await;
            drop(child);
        });
    }
    let t = shutdown_round(rt, waits, move || root.cancel());
    drop(keep);
    t
}

/// The floor under any tree for this shape: per child, a flag and one
/// waker slot behind a mutex (what a cancel must at least touch and wake),
/// set and woken in a loop over a plain `Vec`. What is left is tokio's:
/// waking, queueing, running and freeing 10,000 tasks.
fn shutdown_floor(rt: &tokio::runtime::Runtime, drop_on_wake: bool) -> [Duration; 2] {
    let mut children = Vec::with_capacity(CHILDREN);
    let mut waits = Vec::with_capacity(CHILDREN);
    for _ in 0..CHILDREN {
        let child = Arc::new(BareChild::default());
        children.push(child.clone());
        waits.push(async move {
            std::future::poll_fn(|cx| child.poll(cx)).await;
            drop(child);
        });
    }
    let keep = if drop_on_wake {
        Vec::new()
    } else {
        children.clone()
    };
    let t = shutdown_round(rt, waits, move || fire_all(&children));
    drop(keep);
    t
}

/// The floor's cancel: per child, take the slot under its lock, set the
/// flag, wake.
fn fire_all<'a>(children: impl IntoIterator<Item = &'a Arc<BareChild>>) {
    for c in children {
        let w = {
            let mut slot = c.waker.lock().unwrap();
            c.fired.store(true, Ordering::Release);
            slot.take()
        };
        if let Some(w) = w {
            w.wake();
        }
    }
}

/// What a request allocates beside its context, in the walk benchmark.
fn request_memory() -> Box<[u8; 200]> {
    Box::new([1; 200])
}

/// Children in `cancel_1_root_10k_awaited_children`.
const AWAITED: usize = 10_000;

/// `AWAITED` children from `make`, each made beside 200 bytes of its
/// request's own memory (as a server makes them), each with a waiter from
/// `wait`, polled once with `waker`.
#[allow(clippy::type_complexity)]
fn awaited<K, F: Future>(
    make: impl Fn() -> K,
    wait: impl Fn(&K) -> F,
    waker: &Waker,
) -> (Vec<(K, Box<[u8; 200]>)>, Vec<std::pin::Pin<Box<F>>>) {
    let kids: Vec<_> = (0..AWAITED).map(|_| (make(), request_memory())).collect();
    let mut waits: Vec<_> = kids.iter().map(|(k, _)| Box::pin(wait(k))).collect();
    let mut cx = std::task::Context::from_waker(waker);
    for w in &mut waits {
        assert!(w.as_mut().poll(&mut cx).is_pending());
    }
    (kids, waits)
}

/// A waker that only counts its wakes.
#[derive(Default)]
struct CountWakes(AtomicUsize);

impl std::task::Wake for CountWakes {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

#[derive(Default)]
struct BareChild {
    fired: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl BareChild {
    fn poll(&self, cx: &mut std::task::Context<'_>) -> Poll<()> {
        if self.fired.load(Ordering::Acquire) {
            return Poll::Ready(());
        }
        let mut slot = self.waker.lock().unwrap();
        if self.fired.load(Ordering::Acquire) {
            return Poll::Ready(());
        }
        *slot = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// Rotated rounds as in `wake_10k` (the same slow spells), printing the
/// medians of both figures and of the per-round ratios.
fn shutdown_10k(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    for drop_on_wake in [false, true] {
        let name = if drop_on_wake {
            "shutdown_10k_awaited_children_dropped_on_wake"
        } else {
            "shutdown_10k_awaited_children"
        };
        let mut g = c.benchmark_group(name);
        g.sample_size(20);
        type ShutdownSide = fn(&tokio::runtime::Runtime, bool) -> [Duration; 2];
        let sides: [ShutdownSide; 3] = [shutdown_ours, shutdown_peer, shutdown_floor];
        let r = rotated_rounds(
            &mut g,
            |s| sides[s](&rt, drop_on_wake),
            |t| t.iter().map(|x| x[1]).sum(),
        );
        g.finish();
        if r.is_empty() {
            continue;
        }
        for (i, what) in ["until cancel() returned", "until the last task ran"]
            .iter()
            .enumerate()
        {
            let med = |f: &dyn Fn(&[[Duration; 2]; 3]) -> f64| {
                median(&mut r.iter().map(f).collect::<Vec<_>>())
            };
            let ms = |s: usize| med(&|t| t[s][i].as_secs_f64()) * 1e3;
            let ratio =
                |a: usize, b: usize| med(&|t| t[a][i].as_secs_f64() / t[b][i].as_secs_f64());
            println!(
                "{name}, {what}: context {:.3} ms, tokio_util {:.3} ms, floor {:.3} ms (medians); \
                 medians of per-round ratios over {} rounds: context/tokio_util {:.2}, \
                 floor/tokio_util {:.2}, context/floor {:.2}",
                ms(0),
                ms(1),
                ms(2),
                r.len(),
                ratio(0, 1),
                ratio(2, 1),
                ratio(0, 2)
            );
        }
    }
}

/// Times `iters` awaits of `one` inside one `block_on`.
fn awaits<F: Future>(rt: &tokio::runtime::Runtime, iters: u64, one: impl Fn() -> F) -> Duration {
    rt.block_on(async {
        let start = Instant::now();
        for _ in 0..iters {
            black_box(one().await);
        }
        start.elapsed()
    })
}

fn run_overhead(c: &mut Criterion) {
    let rt = current_thread();
    let (ctx, _k) = Context::background().with_cancel();
    let token = CancellationToken::new();

    let mut g = c.benchmark_group("await_ready");
    g.bench_function("plain", |b| {
        b.iter_custom(|n| awaits(&rt, n, || ready(black_box(1))))
    });
    g.bench_function("context_run", |b| {
        b.iter_custom(|n| awaits(&rt, n, || ctx.run(ready(black_box(1)))))
    });
    g.bench_function("tokio_util_run_until_cancelled", |b| {
        b.iter_custom(|n| awaits(&rt, n, || token.run_until_cancelled(ready(black_box(1)))))
    });
    g.finish();

    let mut g = c.benchmark_group("await_yield_now");
    g.bench_function("plain", |b| {
        b.iter_custom(|n| awaits(&rt, n, tokio::task::yield_now))
    });
    g.bench_function("context_run", |b| {
        b.iter_custom(|n| awaits(&rt, n, || ctx.run(tokio::task::yield_now())))
    });
    g.bench_function("tokio_util_run_until_cancelled", |b| {
        b.iter_custom(|n| {
            awaits(&rt, n, || {
                token.run_until_cancelled(tokio::task::yield_now())
            })
        })
    });
    g.finish();
}

/// `with_timeout`, then cancel and drop.
fn timeout_cycle(parent: &Context) {
    let (ctx, cancel) = parent.with_timeout(black_box(Duration::from_secs(1)));
    cancel.cancel();
    drop((ctx, cancel));
}

/// tokio arms its timer entry on the first poll: poll once, then drop.
fn tokio_timeout_setup() {
    let mut t = pin!(tokio::time::timeout(
        black_box(Duration::from_secs(1)),
        std::future::pending::<()>()
    ));
    let _ = t
        .as_mut()
        .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()));
}

fn timeouts(c: &mut Criterion) {
    let rt = current_thread();
    let _guard = rt.enter();
    let mut g = c.benchmark_group("timeout_create_cancel");
    let parent = Context::background();
    g.bench_function("context_with_timeout", |b| {
        b.iter(|| timeout_cycle(&parent))
    });
    g.bench_function("tokio_time_timeout", |b| b.iter(tokio_timeout_setup));
    g.finish();
}

/// The same cycles as `timeouts`, two threads at once, with 10,000 other
/// timeouts pending (a busy server's in-flight requests): the shared timer's
/// lock and its map at a realistic size.
fn timeouts_busy(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    let mut g = c.benchmark_group("timeout_create_cancel_2_threads_10k_pending");
    let parent = Context::background();
    let pending: Vec<_> = (0..10_000u64)
        .map(|i| parent.with_timeout(Duration::from_secs(60) + Duration::from_micros(i)))
        .collect();
    g.bench_function("context_with_timeout", |b| {
        b.iter_custom(|n| on_two_threads(n, || timeout_cycle(&parent)))
    });
    drop(pending);
    // tokio's pending timeouts, parked on the runtime's timer.
    let (stop, _) = tokio::sync::broadcast::channel::<()>(1);
    for i in 0..10_000u64 {
        let mut stop = stop.subscribe();
        let t = Duration::from_secs(60) + Duration::from_micros(i);
        rt.spawn(async move { tokio::time::timeout(t, stop.recv()).await });
    }
    g.bench_function("tokio_time_timeout", |b| {
        b.iter_custom(|n| {
            on_two_threads(n, || {
                let _in_rt = rt.enter();
                tokio_timeout_setup();
            })
        })
    });
    drop(stop);
    g.finish();
}

fn values(c: &mut Criterion) {
    let mut g = c.benchmark_group("value_lookup");
    struct Wanted(#[allow(dead_code)] u64);
    for depth in [1usize, 10, 100] {
        // the wanted value sits at the root, under `depth` value nodes, with
        // a cancelable node between each pair
        let mut ctx = Context::background().with_value(Wanted(7));
        let mut keep = Vec::new();
        for i in 1..depth {
            let (c, k) = ctx.with_value(i as u32).with_cancel();
            keep.push(k);
            ctx = c;
        }
        g.bench_function(format!("depth_{depth}"), |b| {
            b.iter(|| black_box(&ctx).value::<Wanted>().is_some())
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = is_done, create_cancel_drop, create_cancel_drop_contended, cancel_trees, wake_10k, shutdown_10k, run_overhead, timeouts, timeouts_busy, values
}
criterion_main!(benches);
