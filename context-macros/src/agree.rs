//! One rule set (issue 11, item 10): the macro and `cargo ctx-lint` run
//! over the same fixtures (`context-rules/tests/agree.rs`) and must give
//! the same verdicts, line by line, as the fixtures' `// expect:` marks.

use std::collections::BTreeSet;
use std::path::PathBuf;

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;

use crate::errors::Errors;

fn fixture() -> (PathBuf, String) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../context-rules/tests/agree.rs");
    let src = std::fs::read_to_string(&path).expect("the fixture");
    (path, src)
}

/// (line, check) for each `// expect: <check>` mark.
fn expected(src: &str) -> BTreeSet<(usize, String)> {
    src.lines()
        .enumerate()
        .filter_map(|(i, l)| Some((i + 1, l.split("// expect: ").nth(1)?.trim().to_owned())))
        .collect()
}

fn wrapped_roots(ts: TokenStream, out: &mut BTreeSet<(usize, String)>) {
    for tt in ts {
        match tt {
            TokenTree::Ident(i) if i == "fresh_root" => {
                out.insert((i.span().start().line, "fresh-root".into()));
            }
            TokenTree::Group(g) => wrapped_roots(g.stream(), out),
            _ => {}
        }
    }
}

/// The macro's verdicts: its M10 errors, and the M7 warnings it plants
/// (calls of `__private::fresh_root`), with the whole file as one
/// annotated inline `mod` so that it sees the file's `use` renames.
fn macro_verdicts(src: &str) -> BTreeSet<(usize, String)> {
    let file = syn::parse_file(src).expect("the fixture parses");
    let items = file.items;
    let mut item: syn::Item = syn::parse_quote!(mod fixture { #(#items)* });
    let mut names = context_rules::names::Names::default();
    names.add_uses_in(&item);
    let krate: syn::Path = syn::parse_quote!(::context);
    let mut errs = Errors::default();
    crate::item::expand(&mut item, &krate, &names, &mut errs);
    let mut out: BTreeSet<_> = errs
        .iter()
        .map(|e| {
            let check = if e.to_string().starts_with("the context goes first") {
                "ctx-not-first"
            } else {
                "dropped-cancel"
            };
            (e.span().start().line, check.to_owned())
        })
        .collect();
    wrapped_roots(item.into_token_stream(), &mut out);
    out
}

fn lint_verdicts(path: &std::path::Path) -> BTreeSet<(usize, String)> {
    context_lint::findings(&[path.to_owned()])
        .into_iter()
        .map(|f| (f.line, f.id.to_owned()))
        .collect()
}

#[test]
fn the_macro_and_the_lint_give_the_same_verdicts() {
    let (path, src) = fixture();
    let want = expected(&src);
    assert!(want.len() >= 12, "the fixture lost its marks");
    assert_eq!(macro_verdicts(&src), want, "the macro");
    assert_eq!(lint_verdicts(&path), want, "the lint");
}
