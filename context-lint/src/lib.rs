//! `cargo ctx-lint`: the static checks that `#[ctx_aware]` makes at compile
//! time, for code the macro never sees (Go's `go vet` lostcancel and the
//! containedctx / contextcheck linters).
//!
//! | id | finds |
//! |---|---|
//! | `ctx-in-struct` | a struct or enum field that holds a `Context` (also through `Arc`, `Option`, tuples, arrays, `use .. as` renames and `type` aliases in the crate) |
//! | `ctx-not-first` | a fn whose `Context`/`&Context` parameter is not the first (after `self`) |
//! | `dropped-cancel` | the `CancelFunc` of a `with_*` call bound to `_`, ignored, or bound to a name never used: dropping it cancels at once |
//! | `fresh-root` | `Context::background()`/`todo()` in a fn that has a ctx parameter |
//! | `missing-ctx-aware` (opt-in: `--enable`) | an async fn that takes a ctx but races none of its awaits (no `#[ctx_aware]`, no `ctx.run`, no `ctx.done()`) |
//!
//! Findings print like rustc's diagnostics (or as JSON with
//! `--format json`); the exit code is 1 when there is any. `--allow ID`
//! turns a check off; `// ctx-lint: allow(ID)` on the line above an item
//! turns it off for that item. Files that do not parse are reported and
//! skipped. The checks are syntactic, like the macro's: they know a
//! `Context` by its name (and the file's renames and aliases), not by type.

mod allow;
mod check;
mod checks;
mod cli;
mod report;
mod types;
mod walk;

pub use check::Check;
pub use report::Finding;

use std::io::Write;

/// The findings of the checks on by default, for `files` (the API of the
/// macro's agreement test; the tool itself is [`run`]).
pub fn findings(files: &[std::path::PathBuf]) -> Vec<Finding> {
    let on: Vec<Check> = Check::ALL
        .into_iter()
        .filter(|c| c.on_by_default())
        .collect();
    checks::lint_files(files, &on).findings
}

/// Runs the tool with `args` (without the program name); returns the exit
/// code: 0 clean, 1 findings, 2 usage or I/O error.
pub fn run(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let opts = match cli::parse(args) {
        Ok(cli::Parsed::Run(o)) => o,
        Ok(cli::Parsed::Help) => {
            let _ = writeln!(out, "{}", cli::USAGE);
            return 0;
        }
        Err(e) => {
            let _ = writeln!(err, "error: {e}\n\n{}", cli::USAGE);
            return 2;
        }
    };
    let files = match walk::rust_files(&opts.paths) {
        Ok(f) => f,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return 2;
        }
    };
    let outcome = checks::lint_files(&files, &opts.enabled);
    let written = match opts.format {
        cli::Format::Human => report::human(&outcome, out, err),
        cli::Format::Json => report::json(&outcome, out),
    };
    if let Err(e) = written {
        let _ = writeln!(err, "error: cannot write the report: {e}");
        return 2;
    }
    i32::from(!outcome.findings.is_empty())
}
