//! C6 and the memory budget, measured with a counting allocator:
//! one allocation and at most 64 bytes per child, a parent with no children
//! holds nothing, and a million create/drop cycles leave memory where it was.
//! Counters are per thread, so tests running in parallel do not disturb
//! each other.
#![cfg(not(loom))]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::Duration;

use context_core::Context;
use tokio_util::sync::CancellationToken;

struct Counting;

thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
    static BYTES: Cell<usize> = const { Cell::new(0) };
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        let _ = BYTES.try_with(|c| c.set(c.get() + layout.size()));
        let _ = LIVE.try_with(|c| c.set(c.get() + layout.size() as isize));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let _ = LIVE.try_with(|c| c.set(c.get() - layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// (allocations, bytes) made on this thread by `f`.
fn measure<R>(f: impl FnOnce() -> R) -> (usize, usize, R) {
    let (a0, b0) = (ALLOCS.with(Cell::get), BYTES.with(Cell::get));
    let r = f();
    (ALLOCS.with(Cell::get) - a0, BYTES.with(Cell::get) - b0, r)
}

fn live() -> isize {
    LIVE.with(Cell::get)
}

// Children made and dropped at once on purpose, to measure allocations.
// ctx-lint: allow(dropped-cancel)
#[test]
fn c6_a_child_costs_one_allocation_of_at_most_64_bytes() {
    let (parent, _cancel) = Context::background().with_cancel();
    let (allocs, bytes, child) = measure(|| parent.with_cancel());
    let token = CancellationToken::new();
    let (t_allocs, t_bytes, t_child) = measure(|| token.child_token());
    println!(
        "per child: ours {allocs} alloc / {bytes} B; tokio-util {t_allocs} allocs / {t_bytes} B"
    );
    assert_eq!(allocs, 1);
    // (plus what the `inspect` feature adds, when a test run turns it on)
    assert!(bytes <= 64 + context_core::__INSPECT_BYTES, "{bytes} bytes");
    drop((child, t_child));

    // a second child while the first lives: still one allocation per cycle
    let (_first, _k) = parent.with_cancel();
    let _ = parent.with_cancel(); // the map is allocated once
    let (allocs, _, _) = measure(|| parent.with_cancel());
    assert_eq!(
        allocs, 1,
        "a churning sibling of a long-lived child costs one allocation"
    );

    // clones and roots cost nothing
    let (allocs, _, _) = measure(|| {
        (
            Context::background(),
            parent.clone(),
            parent.without_cancel(),
        )
    });
    assert_eq!(allocs, 0);
}

// ctx-lint: allow(dropped-cancel)
#[test]
fn c6_a_million_child_cycles_leave_memory_flat() {
    let (parent, _cancel) = Context::background().with_value(1u32).with_cancel();
    // warm up: one-time allocations (the shared causes, the map of a
    // long-lived sibling) happen before the baseline
    let (_long, _long_cancel) = parent.with_cancel();
    for _ in 0..1000 {
        let (c, k) = parent.with_cancel();
        let _ = c.with_timeout(Duration::from_secs(3600));
        k.cancel_with_cause(std::io::Error::other("x"));
        let _ = c.cause();
    }
    let before = live();
    for i in 0..1_000_000u32 {
        let (c, k) = parent.with_cancel();
        if i % 4 == 0 {
            let (_gc, _gk) = c.with_value(i).with_cancel();
        }
        drop(c);
        drop(k);
    }
    assert_eq!(live(), before, "memory grew over a million cycles");
    assert_eq!(parent.__stats().children, 1);
}

#[test]
fn c6_a_parent_with_no_children_holds_no_list() {
    let (parent, _cancel) = Context::background().with_cancel();
    let before = live();
    let kids: Vec<_> = (0..100).map(|_| parent.with_cancel()).collect();
    assert!(parent.__stats().holds_extra);
    drop(kids);
    assert_eq!(parent.__stats(), Default::default());
    assert_eq!(live(), before);
}
