//! The live view (feature `inspect`, issue 14): `inspect::snapshot()` lists
//! exactly the live cancelable contexts of a known tree, as a tree, and
//! forgets each once it is cancelled (C3, C6: a cancelled context is
//! unlinked, so nothing of it stays in view). One test fn: the view is
//! process-wide, and it filters on this file's lines.
#![cfg(all(feature = "inspect", not(loom)))]

use std::future::Future;
use std::pin::pin;
use std::task::{Context as TaskCx, Poll, Waker};
use std::time::Duration;

use context_core::inspect::{snapshot, Entry};
use context_core::Context;

/// This file's live contexts, as (line, constructor, depth, parent).
fn mine() -> Vec<Entry> {
    snapshot()
        .entries()
        .iter()
        .filter(|e| e.site.file() == file!())
        .copied()
        .collect()
}

#[test]
fn c6_the_snapshot_is_the_live_tree_and_forgets_what_ends() {
    let base = line!() + 1;
    let (a, cancel_a) = Context::background().with_cancel();
    let (b, cancel_b) = a.with_timeout(Duration::from_secs(60));
    let (c, _cancel_c) = a.with_value(1u8).with_cancel();
    let (d, _cancel_d) = b.with_cancel();
    let _after = c.after_func(|| {});
    let mut waiting = pin!(d.done());
    assert_eq!(
        waiting
            .as_mut()
            .poll(&mut TaskCx::from_waker(Waker::noop())),
        Poll::Pending
    );

    let view = mine();
    let shape: Vec<(u32, &str, usize, Option<usize>)> = view
        .iter()
        .map(|e| (e.site.line() - base, e.constructor, e.depth, e.parent))
        .collect();
    // Depth first, children oldest first: a, b, d (b's), c.
    assert_eq!(
        shape,
        [
            (0, "with_cancel", 0, None),
            (1, "with_timeout", 1, Some(0)),
            (3, "with_cancel", 2, Some(1)),
            (2, "with_cancel", 1, Some(0)),
        ]
    );
    assert_eq!(
        view.iter().map(|e| e.children).collect::<Vec<_>>(),
        [2, 1, 0, 0]
    );
    assert_eq!(view[2].waiters, 1, "d is awaited");
    assert_eq!(view[3].after_funcs, 1, "c has an after-func");
    let left = view[2].remaining.expect("d inherits b's deadline");
    assert!(left > Duration::from_secs(50) && left <= Duration::from_secs(60));
    assert_eq!(view[0].remaining, None);
    assert!(view
        .iter()
        .all(|e| !e.done && e.age < Duration::from_secs(60)));

    let text = snapshot().to_string();
    let line_of = |n: u32| format!("{}:{}:", file!(), base + n);
    let row = |n: u32| {
        text.lines()
            .find(|l| l.contains(&line_of(n)))
            .unwrap()
            .to_string()
    };
    assert!(row(0).starts_with("with_cancel at "), "{text}");
    assert!(
        row(1).starts_with("  with_timeout at ") && row(1).contains("deadline in"),
        "{text}"
    );
    assert!(
        row(3).starts_with("    with_cancel at ") && row(3).contains("1 waiting"),
        "{text}"
    );
    assert!(row(2).contains("1 after-func"), "{text}");

    // Cancelling b takes b and d out of view; a and c stay.
    cancel_b.cancel();
    let lines: Vec<u32> = mine().iter().map(|e| e.site.line() - base).collect();
    assert_eq!(lines, [0, 2]);

    // Ending the root empties this file's part of the view.
    drop(cancel_a);
    assert!(mine().is_empty());
    drop((a, b, c));
}
