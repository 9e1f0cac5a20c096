//! The live view: every cancelable context not yet cancelled, as a tree.
//!
//! The tree already links each live node from its parent (a parent's lists
//! own its live children, and a cancel unlinks), so the view needs only the
//! roots: nodes made from `background()`, `todo()` or `without_cancel()`.
//! They are kept here, in shards by address, from birth to cancel, which
//! is when a parent would let go of a child; nothing else is tracked.

use std::collections::HashMap;
use std::fmt;
use std::panic::Location;
use std::sync::{LazyLock, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::tree::{spread, CancelNode, NodeRef};

const SHARDS: usize = 16;

type Shard = Mutex<HashMap<usize, NodeRef>>;

/// The live roots. A plain mutex: never held with a tree lock, nor while a
/// node is dropped.
static ROOTS: LazyLock<[Shard; SHARDS]> = LazyLock::new(Default::default);

fn shard(addr: usize) -> &'static Shard {
    &ROOTS[(spread(addr) >> 60) as usize % SHARDS]
}

pub(crate) fn register(node: &NodeRef) {
    let addr = NodeRef::as_ptr(node) as usize;
    let mut g = shard(addr).lock().unwrap_or_else(PoisonError::into_inner);
    g.insert(addr, NodeRef::clone(node));
}

pub(crate) fn unregister(node: &CancelNode) {
    let addr = node as *const CancelNode as usize;
    let mut g = shard(addr).lock().unwrap_or_else(PoisonError::into_inner);
    let taken = g.remove(&addr);
    drop(g);
    drop(taken);
}

/// A snapshot of every live cancelable context in the process (feature
/// `inspect`): where each was made, its age, its deadline, what waits on
/// it, and its children, as a tree. A context drops out of the view once it
/// is cancelled, or once it is done by a deadline the timer has fired.
///
/// Its `Display` is for people (indented like a file tree); [`entries`]
/// is the same, structured, for a program (to JSON, to metrics).
///
/// ```
/// use context::{inspect, Context};
///
/// let (root, _stop) = Context::background().with_cancel();
/// let (child, stop_child) = root.with_cancel();
/// let view = inspect::snapshot();
/// let mine = view.entries().iter().filter(|e| e.site.file() == file!()).count();
/// assert_eq!(mine, 2);
/// drop(stop_child);
/// # drop(child);
/// assert_eq!(inspect::snapshot().entries().iter().filter(|e| e.site.file() == file!()).count(), 1);
/// ```
///
/// [`entries`]: Snapshot::entries
#[derive(Clone, Debug)]
pub struct Snapshot {
    entries: Vec<Entry>,
}

/// One live context of a [`Snapshot`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Entry {
    /// The line that called its constructor.
    pub site: &'static Location<'static>,
    /// The constructor: `with_cancel`, `with_deadline` or `with_timeout`.
    pub constructor: &'static str,
    /// Its place in the tree: 0 for a root.
    pub depth: usize,
    /// The index of its parent in [`Snapshot::entries`]; `None` for a root.
    pub parent: Option<usize>,
    /// Time since it was made.
    pub age: Duration,
    /// Time left until its deadline (own or inherited), if it has one.
    pub remaining: Option<Duration>,
    /// Tasks awaiting its `done()`.
    pub waiters: usize,
    /// After-funcs registered on it.
    pub after_funcs: usize,
    /// Live children.
    pub children: usize,
    /// Done already: a deadline that passed (the timer is about to fire
    /// it), or a cancel that is on its way down.
    pub done: bool,
}

impl Snapshot {
    /// Every live context, depth first: each entry is followed by its
    /// children (oldest first), roots oldest first.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// How many live contexts it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no cancelable context was live.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Takes a [`Snapshot`] of the live contexts. Locks one node at a time,
/// briefly; contexts made or cancelled meanwhile may or may not be in it.
pub fn snapshot() -> Snapshot {
    let now = Instant::now();
    let mut roots: Vec<NodeRef> = Vec::new();
    for s in ROOTS.iter() {
        let g = s.lock().unwrap_or_else(PoisonError::into_inner);
        roots.extend(g.values().cloned());
    }
    let oldest_first = |v: &mut Vec<NodeRef>| v.sort_by_key(|n| n.born().at);
    oldest_first(&mut roots);
    let mut entries = Vec::new();
    // Depth first, iterative: a million-deep tree must not overflow the
    // stack. Pushed youngest first so the oldest pops first.
    let mut stack: Vec<(NodeRef, usize, Option<usize>)> =
        roots.into_iter().rev().map(|n| (n, 0, None)).collect();
    while let Some((node, depth, parent)) = stack.pop() {
        let (mut kids, stats) = node.children();
        let born = node.born();
        let index = entries.len();
        entries.push(Entry {
            site: born.site,
            constructor: born.kind.name(),
            depth,
            parent,
            age: now.saturating_duration_since(born.at),
            remaining: node.remaining(),
            waiters: stats.waiters,
            after_funcs: stats.after_funcs,
            children: kids.len(),
            done: node.is_done(),
        });
        oldest_first(&mut kids);
        stack.extend(kids.into_iter().rev().map(|k| (k, depth + 1, Some(index))));
    }
    Snapshot { entries }
}

/// Indentation stops here; deeper entries say their depth instead.
const MAX_INDENT: usize = 32;

impl fmt::Display for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.entries.len();
        write!(f, "{n} live context{}", if n == 1 { "" } else { "s" })?;
        for e in &self.entries {
            f.write_str("\n")?;
            if e.depth > MAX_INDENT {
                write!(f, "{:w$}[depth {}] ", "", e.depth, w = 2 * MAX_INDENT)?;
            } else {
                write!(f, "{:w$}", "", w = 2 * e.depth)?;
            }
            write!(f, "{} at {}, age {:.1?}", e.constructor, e.site, e.age)?;
            match e.remaining {
                _ if e.done => f.write_str(", done")?,
                Some(r) => write!(f, ", deadline in {r:.1?}")?,
                None => {}
            }
            if e.waiters > 0 {
                write!(f, ", {} waiting", e.waiters)?;
            }
            if e.after_funcs > 0 {
                write!(
                    f,
                    ", {} after-func{}",
                    e.after_funcs,
                    if e.after_funcs == 1 { "" } else { "s" }
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(depth: usize) -> Entry {
        Entry {
            site: Location::caller(),
            constructor: "with_cancel",
            depth,
            parent: None,
            age: Duration::from_millis(5),
            remaining: None,
            waiters: 0,
            after_funcs: 0,
            children: 0,
            done: false,
        }
    }

    #[test]
    fn the_text_says_done_counts_and_stops_indenting_deep_down() {
        let mut rows = vec![entry(0), entry(MAX_INDENT), entry(MAX_INDENT + 1), entry(1)];
        rows[0].remaining = Some(Duration::from_secs(1));
        rows[0].waiters = 1;
        rows[0].after_funcs = 2;
        rows[3].remaining = Some(Duration::from_secs(1));
        rows[3].done = true;
        rows[3].after_funcs = 1;
        let view = Snapshot { entries: rows };
        assert_eq!((view.len(), view.is_empty()), (4, false));
        assert!(Snapshot { entries: vec![] }.is_empty());
        let text = view.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "4 live contexts");
        assert!(
            lines[1].ends_with(", deadline in 1.0s, 1 waiting, 2 after-funcs"),
            "{text}"
        );
        let indent = |l: &str| l.len() - l.trim_start().len();
        assert_eq!(indent(lines[2]), 2 * MAX_INDENT);
        assert!(
            lines[2].trim_start().starts_with("with_cancel at"),
            "{text}"
        );
        assert!(
            lines[2].ends_with(", age 5.0ms"),
            "nothing to count: {text}"
        );
        assert!(lines[3]
            .trim_start()
            .starts_with(&format!("[depth {}] ", MAX_INDENT + 1)));
        assert!(lines[4].ends_with(", done, 1 after-func"), "{text}");
        assert!(!lines[4].contains("deadline in") && !lines[4].contains("waiting"));
    }
}
