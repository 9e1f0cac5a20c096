//! `Context::why()`: the chain from a context up to the one that ended by
//! itself, with the source lines that made and ended them.

use std::fmt;
use std::panic::Location;
use std::time::Duration;

use crate::error::{Cause, Error};
use crate::tree::{CancelNode, State};

/// Why a context is done, and where: the report of
/// [`Context::why`](crate::Context::why).
///
/// It is a chain of [`Link`]s, from the context asked up to the context
/// that ended by itself (a cancel, a dropped `CancelFunc`, a deadline);
/// every link before that one ended because its parent did. Its `Display`
/// tells it in a few lines:
///
/// ```text
/// context deadline exceeded
///   context made by `with_cancel` at src/handler.rs:30:17: its parent ended
///   context made by `with_timeout` at src/main.rs:20:14: its deadline passed 3.0ms ago
/// ```
///
/// [`err()`](crate::Context::err) and [`cause()`](crate::Context::cause)
/// are unchanged by this feature: code that compares errors keeps working.
#[derive(Clone, Debug)]
pub struct Why {
    error: Error,
    cause: Option<Cause>,
    links: Vec<Link>,
}

/// One context of a [`Why`] chain: where it was made and how it ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Link {
    /// The line that called the constructor (`with_cancel`, `with_timeout`…).
    pub site: &'static Location<'static>,
    /// The constructor's name.
    pub constructor: &'static str,
    /// How it ended.
    pub reason: Reason,
}

/// How one context of a [`Why`] chain ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// `cancel()` or a `cancel_with_*` was called, at `at`. (A library
    /// that cancels for you, such as `ContextLayer` on a hang-up, shows its
    /// own line here, and the cause says why.)
    Called {
        /// The line of the call.
        at: &'static Location<'static>,
    },
    /// Its `CancelFunc` was dropped (Go's `defer cancel()` running).
    Dropped,
    /// A deadline passed: its own, or one it inherited, set by the
    /// constructor at `set_at`, `ago` before the report was made.
    Deadline {
        /// The line that set the deadline.
        set_at: &'static Location<'static>,
        /// How long before the report it passed.
        ago: Duration,
        /// The deadline was an ancestor's (this context's own was later or
        /// absent); the ancestor's cancel had not reached it yet.
        inherited: bool,
    },
    /// Its parent ended: the next link says why.
    Parent,
}

impl Why {
    /// The report of `node`'s context: `None` while it is live.
    pub(crate) fn read(node: &CancelNode) -> Option<Why> {
        let error = node.err()?;
        Some(Why::of(node, error, node.cause()))
    }

    /// Reads the chain from `node`, which `is_done()` has reported done
    /// (so it is marked: tree invariant 4). Iterative: a chain a million
    /// deep gives a long report, not a stack overflow.
    pub(crate) fn of(node: &CancelNode, error: Error, cause: Option<Cause>) -> Why {
        let mut links = Vec::new();
        let mut n = node;
        loop {
            let born = n.born();
            let mut link = Link {
                site: born.site,
                constructor: born.kind.name(),
                reason: Reason::Parent,
            };
            match n.ending() {
                Some((_, true, _)) if n.parent().is_some() => {
                    links.push(link);
                    n = n.parent().expect("checked");
                    continue;
                }
                Some((State::Canceled, _, how)) => {
                    link.reason = match how.and_then(|h| h.called_at) {
                        Some(at) => Reason::Called { at },
                        None => Reason::Dropped,
                    };
                }
                // Expired, or (never, by invariant 4) still live: the
                // deadline is what can end a node nobody cancelled.
                _ => {
                    let (owner, inherited, ago) = n.deadline_passed_by();
                    link.reason = Reason::Deadline {
                        set_at: owner.site,
                        ago,
                        inherited,
                    };
                }
            }
            links.push(link);
            return Why {
                error,
                cause,
                links,
            };
        }
    }

    /// `Canceled` or `DeadlineExceeded`: what [`err()`](crate::Context::err) says.
    pub fn error(&self) -> Error {
        self.error
    }

    /// What [`cause()`](crate::Context::cause) says.
    pub fn cause(&self) -> Option<&Cause> {
        self.cause.as_ref()
    }

    /// The chain, from the context asked (first) to the one that ended by
    /// itself (last). Never empty.
    pub fn links(&self) -> &[Link] {
        &self.links
    }

    /// The context that ended by itself: the last link.
    pub fn origin(&self) -> &Link {
        self.links.last().expect("a chain has at least one link")
    }
}

/// Links shown before the report skips to the origin.
const SHOWN: usize = 16;

impl fmt::Display for Why {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.error)?;
        if let Some(c) = &self.cause {
            let text = c.to_string();
            if text != self.error.to_string() {
                write!(f, ": {text}")?;
            }
        }
        let n = self.links.len();
        for (i, l) in self.links.iter().enumerate() {
            if i == SHOWN && n > SHOWN + 1 {
                write!(
                    f,
                    "\n  ({} more contexts, each ended by its parent)",
                    n - SHOWN - 1
                )?;
            }
            if i >= SHOWN && i + 1 < n {
                continue;
            }
            write!(f, "\n  context made by `{}` at {}: ", l.constructor, l.site)?;
            match l.reason {
                Reason::Called { at } => write!(f, "cancelled at {at}")?,
                Reason::Dropped => f.write_str("its CancelFunc was dropped")?,
                Reason::Deadline {
                    ago,
                    inherited: false,
                    ..
                } => write!(f, "its deadline passed {ago:.1?} ago")?,
                Reason::Deadline { set_at, ago, .. } => write!(
                    f,
                    "the deadline it inherited (set at {set_at}) passed {ago:.1?} ago"
                )?,
                Reason::Parent => f.write_str("its parent ended")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: usize) -> Why {
        let site = Location::caller();
        let mut links = vec![
            Link {
                site,
                constructor: "with_cancel",
                reason: Reason::Parent,
            };
            n - 1
        ];
        links.push(Link {
            site,
            constructor: "with_cancel",
            reason: Reason::Dropped,
        });
        Why {
            error: Error::Canceled,
            cause: None,
            links,
        }
    }

    #[test]
    fn a_long_chain_shows_its_first_links_a_count_and_its_origin() {
        // Up to SHOWN + 1 links, every one is shown.
        let text = chain(SHOWN + 1).to_string();
        assert_eq!(text.lines().count(), 1 + SHOWN + 1, "{text}");
        assert!(!text.contains("more contexts"));
        // One more, and the middle is counted instead.
        let text = chain(SHOWN + 2).to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1 + SHOWN + 2, "{text}");
        assert_eq!(
            lines[1 + SHOWN],
            "  (1 more contexts, each ended by its parent)"
        );
        assert!(lines[2 + SHOWN].ends_with("its CancelFunc was dropped"));
        let text = chain(100).to_string();
        assert!(text.contains("(83 more contexts"), "{text}");
        assert_eq!(text.lines().count(), 1 + SHOWN + 2);
    }
}
