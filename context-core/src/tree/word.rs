//! The node's state word: its state, two flags and its deadline, in one
//! atomic `u64` that readers load without a lock.
//!
//! Bits 0-1 the [`State`], bit 2 `INHERITED` (the state came from the
//! parent, and so does the cause), bit 3 `HOLDS` (the node's lock may guard
//! something; see `mod.rs`), bits 4.. the effective deadline in nanoseconds
//! (`NO_DEADLINE` for none). The deadline never changes; the state changes
//! once, from `Live`; `HOLDS` is set at most once, never cleared.

use super::deadline::DEADLINE_BITS;
use crate::sync::{AtomicU64, Ordering};

/// Where a node is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    Live = 0,
    Canceled = 1,
    Expired = 2,
}

const STATE: u64 = 0b11;
const INHERITED: u64 = 0b100;
const HOLDS: u64 = 0b1000;
const SHIFT: u32 = 64 - DEADLINE_BITS;

/// A value of the word.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Word(u64);

impl Word {
    /// A live node's word.
    pub(crate) fn new(deadline: u64, holds: bool) -> Word {
        Word(deadline << SHIFT | if holds { HOLDS } else { 0 })
    }

    #[inline]
    pub(crate) fn state(self) -> State {
        match self.0 & STATE {
            0 => State::Live,
            1 => State::Canceled,
            _ => State::Expired,
        }
    }

    #[inline]
    pub(crate) fn is_live(self) -> bool {
        self.0 & STATE == 0
    }

    #[inline]
    pub(crate) fn inherited(self) -> bool {
        self.0 & INHERITED != 0
    }

    #[inline]
    pub(crate) fn holds(self) -> bool {
        self.0 & HOLDS != 0
    }

    #[inline]
    pub(crate) fn deadline(self) -> u64 {
        self.0 >> SHIFT
    }

    /// This word with `HOLDS` set.
    pub(crate) fn with_holds(self) -> Word {
        Word(self.0 | HOLDS)
    }

    /// This (live) word, ended in `state`, `inherited` from the parent or not.
    pub(crate) fn ended(self, state: State, inherited: bool) -> Word {
        Word(self.0 | state as u64 | if inherited { INHERITED } else { 0 })
    }
}

/// The atomic cell that holds a node's word.
pub(crate) struct AtomicWord(AtomicU64);

impl AtomicWord {
    pub(crate) fn new(w: Word) -> AtomicWord {
        AtomicWord(AtomicU64::new(w.0))
    }

    #[inline]
    pub(crate) fn load(&self, order: Ordering) -> Word {
        Word(self.0.load(order))
    }

    pub(crate) fn store(&self, w: Word, order: Ordering) {
        self.0.store(w.0, order);
    }

    pub(crate) fn compare_exchange(
        &self,
        current: Word,
        new: Word,
        success: Ordering,
        failure: Ordering,
    ) -> Result<Word, Word> {
        self.0
            .compare_exchange(current.0, new.0, success, failure)
            .map(Word)
            .map_err(Word)
    }
}
