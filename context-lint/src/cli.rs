//! Command-line arguments.

use std::path::PathBuf;

use crate::check::Check;

pub const USAGE: &str = "\
usage: cargo ctx-lint [PATH..] [--format human|json] [--allow ID].. [--enable ID]..

Checks Rust sources under PATH (default: the current directory; .gitignore
is respected) for misuses of context::Context. Exit code: 0 clean, 1 findings,
2 usage or I/O error.

checks: ctx-in-struct, ctx-not-first, dropped-cancel, fresh-root,
        missing-ctx-aware (off unless --enable missing-ctx-aware)";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

#[derive(Debug)]
pub struct Options {
    pub paths: Vec<PathBuf>,
    pub format: Format,
    pub enabled: Vec<Check>,
}

pub enum Parsed {
    Run(Options),
    Help,
}

pub fn parse(args: &[String]) -> Result<Parsed, String> {
    let mut paths = Vec::new();
    let mut format = Format::Human;
    let mut enabled: Vec<Check> = Check::ALL
        .iter()
        .copied()
        .filter(|c| c.on_by_default())
        .collect();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-h" | "--help" => return Ok(Parsed::Help),
            "--format" => {
                format = match it.next().map(String::as_str) {
                    Some("human") => Format::Human,
                    Some("json") => Format::Json,
                    other => {
                        return Err(format!("--format takes `human` or `json`, not {other:?}"))
                    }
                }
            }
            "--allow" | "--enable" => {
                let id = it.next().ok_or_else(|| format!("{a} takes a check id"))?;
                let check = Check::from_id(id).ok_or_else(|| format!("unknown check id `{id}`"))?;
                enabled.retain(|c| *c != check);
                if a == "--enable" {
                    enabled.push(check);
                }
            }
            flag if flag.starts_with('-') => return Err(format!("unknown option `{flag}`")),
            path => paths.push(PathBuf::from(path)),
        }
    }
    if paths.is_empty() {
        paths.push(PathBuf::from("."));
    }
    Ok(Parsed::Run(Options {
        paths,
        format,
        enabled,
    }))
}
