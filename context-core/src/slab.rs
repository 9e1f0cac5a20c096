//! A tiny slab: stable `usize` keys, O(1) insert and remove, slots reused.
//!
//! Waiters and after-funcs register here so that a `Done` or an `AfterFunc`
//! can take itself out again by key, without a search.

enum Entry<T> {
    Full(T),
    /// A free slot; holds the key of the next free slot (`usize::MAX`: none).
    Free(usize),
}

pub(crate) struct Slab<T> {
    entries: Vec<Entry<T>>,
    free: usize,
    len: usize,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            entries: Vec::new(),
            free: usize::MAX,
            len: 0,
        }
    }
}

impl<T> Slab<T> {
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn insert(&mut self, value: T) -> usize {
        self.len += 1;
        if self.free == usize::MAX {
            self.entries.push(Entry::Full(value));
            return self.entries.len() - 1;
        }
        let key = self.free;
        match std::mem::replace(&mut self.entries[key], Entry::Full(value)) {
            Entry::Free(next) => self.free = next,
            Entry::Full(_) => unreachable!("the free list points at a full slot"),
        }
        key
    }

    pub(crate) fn get_mut(&mut self, key: usize) -> Option<&mut T> {
        match self.entries.get_mut(key) {
            Some(Entry::Full(v)) => Some(v),
            _ => None,
        }
    }

    pub(crate) fn remove(&mut self, key: usize) -> Option<T> {
        let slot = self.entries.get_mut(key)?;
        if matches!(slot, Entry::Free(_)) {
            return None;
        }
        let Entry::Full(v) = std::mem::replace(slot, Entry::Free(self.free)) else {
            unreachable!()
        };
        self.free = key;
        self.len -= 1;
        Some(v)
    }

    /// Moves every value, in key order, to the end of `out`, and leaves
    /// the slab empty with its buffer kept: emptying it frees nothing.
    pub(crate) fn drain_into(&mut self, out: &mut Vec<T>) {
        if self.len == 0 {
            return;
        }
        out.reserve(self.len);
        out.extend(self.entries.drain(..).filter_map(|e| match e {
            Entry::Full(v) => Some(v),
            Entry::Free(_) => None,
        }));
        self.free = usize::MAX;
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::Slab;

    #[test]
    fn keys_are_stable_and_reused() {
        let mut s = Slab::default();
        let a = s.insert("a");
        let b = s.insert("b");
        let c = s.insert("c");
        assert_eq!(s.remove(b), Some("b"));
        assert_eq!(s.remove(b), None, "a key is removed once");
        assert_eq!(s.get_mut(a), Some(&mut "a"));
        assert_eq!(s.get_mut(c), Some(&mut "c"));
        let d = s.insert("d");
        assert_eq!(d, b, "the freed slot is reused");
        assert_eq!(s.len(), 3);
        let mut out = vec!["before"];
        s.drain_into(&mut out);
        assert_eq!(out, ["before", "a", "d", "c"]);
        assert!(s.is_empty());
        assert_eq!(s.insert("e"), 0, "a drained slab starts again at 0");
    }
}
