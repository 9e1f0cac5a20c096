//! The checks, by id: what `--allow`, `--enable` and
//! `// ctx-lint: allow(..)` name.

/// A check, by its id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Check {
    /// `ctx-in-struct`
    CtxInStruct,
    /// `ctx-not-first`
    CtxNotFirst,
    /// `dropped-cancel`
    DroppedCancel,
    /// `fresh-root`
    FreshRoot,
    /// `missing-ctx-aware` (opt-in)
    MissingCtxAware,
}

impl Check {
    /// Every check.
    pub const ALL: [Check; 5] = [
        Check::CtxInStruct,
        Check::CtxNotFirst,
        Check::DroppedCancel,
        Check::FreshRoot,
        Check::MissingCtxAware,
    ];

    /// The id used in output, `--allow` and `// ctx-lint: allow(..)`.
    pub fn id(self) -> &'static str {
        match self {
            Check::CtxInStruct => "ctx-in-struct",
            Check::CtxNotFirst => "ctx-not-first",
            Check::DroppedCancel => "dropped-cancel",
            Check::FreshRoot => "fresh-root",
            Check::MissingCtxAware => "missing-ctx-aware",
        }
    }

    /// The check with this id.
    pub fn from_id(id: &str) -> Option<Check> {
        Check::ALL.into_iter().find(|c| c.id() == id)
    }

    /// Whether the check runs without `--enable`.
    pub fn on_by_default(self) -> bool {
        self != Check::MissingCtxAware
    }
}
