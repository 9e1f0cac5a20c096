//! Output: rustc-style diagnostics (codespan-reporting), or JSON.

use std::io::{self, Write};

use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term;
use proc_macro2::Span;
use serde::Serialize;

use std::path::PathBuf;

use crate::check::Check;

/// Everything found in one run.
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub skipped: Vec<Skipped>,
    /// Each file read, for rendering: (path, source).
    pub sources: Vec<(PathBuf, String)>,
    /// How many files were read and parsed.
    pub checked: usize,
}

/// One problem found.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// The check's id, such as `ctx-in-struct`.
    pub id: &'static str,
    /// The file, as given or found under the given path.
    pub file: String,
    /// 1-based line and column of the start.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// 1-based line of the end.
    pub end_line: usize,
    /// 1-based column of the end (exclusive).
    pub end_column: usize,
    /// What is wrong.
    pub message: String,
    /// What the underlined code is.
    pub label: String,
    /// What to write instead.
    pub help: String,
    #[serde(skip)]
    pub(crate) file_index: usize,
    #[serde(skip)]
    pub(crate) start: usize,
    #[serde(skip)]
    end: usize,
}

/// A file that was not checked, and why.
#[derive(Clone, Debug, Serialize)]
pub struct Skipped {
    /// The file.
    pub file: String,
    /// Why it was skipped.
    pub message: String,
}

/// Byte offset of a (1-based line, 0-based char column) position.
fn offset(src: &str, line: usize, column: usize) -> usize {
    let line_start: usize = src
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let rest = &src[line_start.min(src.len())..];
    line_start
        + rest
            .char_indices()
            .nth(column)
            .map_or(rest.len(), |(i, _)| i)
}

impl Finding {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        check: Check,
        file_index: usize,
        path: &str,
        src: &str,
        span: Span,
        message: String,
        label: String,
        help: String,
    ) -> Finding {
        let (s, e) = (span.start(), span.end());
        Finding {
            id: check.id(),
            file: path.to_owned(),
            line: s.line,
            column: s.column + 1,
            end_line: e.line,
            end_column: e.column + 1,
            message,
            label,
            help,
            file_index,
            start: offset(src, s.line, s.column),
            end: offset(src, e.line, e.column),
        }
    }
}

/// rustc-style text on `out`; skipped files as warnings on `err`.
pub fn human(o: &Outcome, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<()> {
    let mut files = SimpleFiles::new();
    let ids: Vec<usize> = o
        .sources
        .iter()
        .map(|(p, s)| files.add(p.display().to_string(), s.as_str()))
        .collect();
    // ASCII borders: `--> file:line:col`, as rustc prints them.
    let config = term::Config {
        chars: term::Chars::ascii(),
        ..term::Config::default()
    };
    for f in &o.findings {
        let d = Diagnostic::error()
            .with_message(&f.message)
            .with_code(f.id)
            .with_labels(vec![Label::primary(
                ids[f.file_index],
                f.start..f.end.max(f.start + 1),
            )
            .with_message(&f.label)])
            .with_notes(vec![format!("help: {}", f.help)]);
        let mut text = String::new();
        term::emit_to_string(&mut text, &config, &files, &d).map_err(io::Error::other)?;
        out.write_all(text.as_bytes())?;
    }
    for s in &o.skipped {
        writeln!(err, "warning: skipped {}: {}", s.file, s.message)?;
    }
    match o.findings.len() {
        0 => writeln!(err, "ctx-lint: {} files checked, no findings", o.checked),
        n => writeln!(
            err,
            "ctx-lint: {n} finding{} in {} files",
            if n == 1 { "" } else { "s" },
            o.sources.len()
        ),
    }
}

/// `{"findings": [..], "skipped": [..]}` on `out`.
pub fn json(o: &Outcome, out: &mut dyn Write) -> io::Result<()> {
    #[derive(Serialize)]
    struct Report<'a> {
        findings: &'a [Finding],
        skipped: &'a [Skipped],
    }
    serde_json::to_writer_pretty(
        &mut *out,
        &Report {
            findings: &o.findings,
            skipped: &o.skipped,
        },
    )
    .map_err(io::Error::other)?;
    writeln!(out)
}
