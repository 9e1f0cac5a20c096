//! The syntax rules of the `context` crate, shared by `#[ctx_aware]` (which
//! turns a verdict into a compile error or warning) and `cargo ctx-lint`
//! (which turns it into a finding): one copy of each rule and of its text,
//! so the two cannot drift. The `agree` test of `context-macros` runs both
//! over the same fixtures (`tests/agree.rs` here) and expects the same
//! verdicts, line by line.
//!
//! - [`cancel`]: the constructors that hand back a `CancelFunc`, and every
//!   shape that drops one at once (SPEC M10, `dropped-cancel`).
//! - [`names`]: knowing our `Context` by its name, through `use .. as`
//!   renames, and another crate's (`lambda::Context`) by its path (M1, M2,
//!   `ctx-not-first`); fresh roots (M7, `fresh-root`).
//!
//! Everything here is syntax: what needs types (M6's field check, which
//! sees through aliases) stays with the macro, which can ask the compiler.

pub mod cancel;
pub mod names;
