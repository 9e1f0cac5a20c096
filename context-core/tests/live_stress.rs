//! The live view under a burst (feature `inspect`, issue 14): threads make
//! and cancel roots and children while another takes snapshots. Nothing
//! deadlocks or panics, every snapshot is a well-formed tree, and once the
//! burst is over nothing of it is left in view (C6).
#![cfg(all(feature = "inspect", not(loom)))]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use context_core::inspect::snapshot;
use context_core::Context;

#[test]
fn c6_snapshots_during_a_burst_are_trees_and_nothing_is_left_after_it() {
    let stop = Arc::new(AtomicBool::new(false));
    let viewer = {
        let stop = stop.clone();
        thread::spawn(move || {
            let mut taken = 0u32;
            while !stop.load(Ordering::Relaxed) || taken == 0 {
                let view = snapshot();
                for (i, e) in view.entries().iter().enumerate() {
                    match e.parent {
                        None => assert_eq!(e.depth, 0),
                        Some(p) => {
                            assert!(p < i, "a parent comes before its children");
                            assert_eq!(view.entries()[p].depth + 1, e.depth);
                        }
                    }
                }
                taken += 1;
            }
            taken
        })
    };
    let makers: Vec<_> = (0..4)
        .map(|t| {
            thread::spawn(move || {
                for i in 0..5_000u32 {
                    let (root, cancel) = Context::background().with_cancel();
                    let (a, _ka) = root.with_timeout(Duration::from_secs(60));
                    let (_b, kb) = a.with_cancel();
                    // Half are cancelled from the top, half from the bottom.
                    if (i + t) % 2 == 0 {
                        cancel.cancel();
                    } else {
                        drop(kb);
                    }
                }
            })
        })
        .collect();
    for m in makers {
        m.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    assert!(viewer.join().unwrap() > 0);
    let left = snapshot()
        .entries()
        .iter()
        .filter(|e| e.site.file() == file!())
        .count();
    assert_eq!(left, 0, "every root of the burst was cancelled");
}
