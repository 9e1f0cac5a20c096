//! The checks: one pass over each file's syntax tree.

use std::path::PathBuf;

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{Attribute, Block, Expr, ExprCall, FnArg, Item, Pat, Signature, Stmt};

use crate::allow::Allows;
use crate::cli::Options;
use crate::report::{Finding, Skipped};
use crate::types::Names;

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

/// The `with_*` constructors that hand back a `CancelFunc`.
const WITH_CANCEL: &[&str] = &[
    "with_cancel",
    "with_deadline",
    "with_deadline_cause",
    "with_timeout",
    "with_timeout_cause",
];

/// Everything found in one run.
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub skipped: Vec<Skipped>,
    /// Each file read, for rendering: (path, source).
    pub sources: Vec<(PathBuf, String)>,
}

pub fn lint_files(files: &[PathBuf], opts: &Options) -> Outcome {
    let mut sources = Vec::new();
    let mut skipped = Vec::new();
    for path in files {
        match std::fs::read_to_string(path) {
            Ok(src) => sources.push((path.clone(), src)),
            Err(e) => skipped.push(Skipped {
                file: path.display().to_string(),
                message: format!("cannot read: {e}"),
            }),
        }
    }
    let mut parsed = Vec::new();
    for (i, (path, src)) in sources.iter().enumerate() {
        match syn::parse_file(src) {
            Ok(f) => parsed.push((i, f)),
            Err(e) => {
                let at = e.span().start();
                skipped.push(Skipped {
                    file: path.display().to_string(),
                    message: format!(
                        "cannot parse (line {}, column {}): {e}",
                        at.line,
                        at.column + 1
                    ),
                });
            }
        }
    }
    let names = Names::collect(&parsed.iter().map(|(_, f)| f).collect::<Vec<_>>());
    let mut findings = Vec::new();
    for (i, file) in &parsed {
        let (path, src) = &sources[*i];
        let mut l = Linter {
            file: *i,
            path: path.display().to_string(),
            src,
            names: &names,
            allows: Allows::new(src),
            enabled: &opts.enabled,
            allowed: Vec::new(),
            fns: Vec::new(),
            findings: &mut findings,
        };
        l.visit_file(file);
    }
    findings.sort_by_key(|f| (f.file_index, f.start));
    Outcome {
        findings,
        skipped,
        sources,
    }
}

/// What the linter knows about the fn it is inside.
struct FnScope {
    has_ctx: bool,
}

struct Linter<'a> {
    file: usize,
    path: String,
    src: &'a str,
    names: &'a Names,
    allows: Allows,
    enabled: &'a [Check],
    /// Checks allowed by `// ctx-lint: allow(..)` on the enclosing items.
    allowed: Vec<Vec<Check>>,
    fns: Vec<FnScope>,
    findings: &'a mut Vec<Finding>,
}

fn has_attr(attrs: &[Attribute], name: &str) -> bool {
    attrs
        .iter()
        .any(|a| a.path().segments.last().is_some_and(|s| s.ident == name))
}

impl Linter<'_> {
    fn report(&mut self, check: Check, span: Span, message: String, label: &str, help: &str) {
        if !self.enabled.contains(&check) || self.allowed.iter().any(|a| a.contains(&check)) {
            return;
        }
        self.findings.push(Finding::new(
            check,
            self.file,
            &self.path,
            self.src,
            span,
            message,
            label.to_owned(),
            help.to_owned(),
        ));
    }

    /// Runs `f` with the item's `// ctx-lint: allow(..)` in force; `span`
    /// is the item's keyword (`fn`, `struct`..), below its attributes.
    fn with_allows(&mut self, span: Span, f: impl FnOnce(&mut Self)) {
        let allowed = self.allows.above(span.start().line);
        self.allowed.push(allowed);
        f(self);
        self.allowed.pop();
    }

    fn check_fields<'f>(
        &mut self,
        attrs: &[Attribute],
        fields: impl Iterator<Item = &'f syn::Field>,
    ) {
        if has_attr(attrs, "ctx_aware") {
            return; // the macro checks these at compile time
        }
        for f in fields {
            if let Some(t) = self.names.holds(&f.ty) {
                self.report(
                    Check::CtxInStruct,
                    t.span(),
                    "this field stores a `Context`".into(),
                    "a `Context` is stored here",
                    "contexts are not stored in structs: pass `ctx: &Context` as the first argument of each method that needs it",
                );
            }
        }
    }

    /// Checks a signature; returns whether it takes a context.
    fn check_sig(&mut self, sig: &Signature) -> bool {
        let first = usize::from(matches!(sig.inputs.first(), Some(FnArg::Receiver(_))));
        let mut has_ctx = false;
        for (i, arg) in sig.inputs.iter().enumerate() {
            let FnArg::Typed(pt) = arg else { continue };
            if !self.names.is_context(&pt.ty) {
                continue;
            }
            has_ctx = true;
            if i != first {
                self.report(
                    Check::CtxNotFirst,
                    pt.span(),
                    format!("the context of `{}` is not its first parameter", sig.ident),
                    "a `Context` in this position",
                    "make `ctx: &Context` the first parameter (after `self`), as Go puts `ctx` first",
                );
            }
        }
        has_ctx
    }

    fn visit_fn(&mut self, attrs: &[Attribute], sig: &Signature, body: Option<&Block>) {
        let has_ctx = self.check_sig(sig);
        let Some(body) = body else { return };
        if has_ctx && sig.asyncness.is_some() && !has_attr(attrs, "ctx_aware") {
            let mut scan = AwaitScan::default();
            scan.visit_block(body);
            if scan.awaits > 0 && !scan.races {
                self.report(
                    Check::MissingCtxAware,
                    sig.ident.span(),
                    format!("`{}` takes a context but races none of its {} awaits", sig.ident, scan.awaits),
                    "an async fn that takes `ctx`",
                    "add `#[context::ctx_aware]`, or wrap the awaits in `ctx.run(..)`, so the fn stops when its context ends",
                );
            }
        }
        self.fns.push(FnScope { has_ctx });
        self.visit_block(body);
        self.fns.pop();
    }

    fn in_ctx_fn(&self) -> bool {
        self.fns.last().is_some_and(|f| f.has_ctx)
    }

    fn check_stmts(&mut self, stmts: &[Stmt]) {
        for (i, stmt) in stmts.iter().enumerate() {
            match stmt {
                Stmt::Local(l) => {
                    let Some(init) = &l.init else { continue };
                    let Some(method) = cancel_call(&init.expr) else {
                        continue;
                    };
                    let mut pat = &l.pat;
                    while let Pat::Type(t) = pat {
                        pat = &t.pat;
                    }
                    let cancel_pat = match pat {
                        Pat::Tuple(t) if t.elems.len() == 2 => &t.elems[1],
                        whole => whole,
                    };
                    match cancel_pat {
                        Pat::Wild(w) => self.report(
                            Check::DroppedCancel,
                            w.span(),
                            format!("the `CancelFunc` of `{method}` is dropped at once"),
                            "`_` drops it here, which cancels the new context",
                            "bind it to a name (`_cancel`) to keep the context alive until the end of the scope",
                        ),
                        Pat::Ident(p) if !p.ident.to_string().starts_with('_') => {
                            let name = p.ident.to_string();
                            if !stmts[i + 1..].iter().any(|s| mentions(s, &name)) {
                                self.report(
                                    Check::DroppedCancel,
                                    p.ident.span(),
                                    format!("the `CancelFunc` `{name}` is never used"),
                                    "held until the end of the scope, and never called",
                                    "call it when the work is done; if holding it to the end of the scope is the intent, name it `_cancel`",
                                );
                            }
                        }
                        _ => {}
                    }
                }
                Stmt::Expr(e, Some(_)) => {
                    if let Some(method) = cancel_call(e) {
                        self.report(
                            Check::DroppedCancel,
                            e.span(),
                            format!("the result of `{method}` is ignored"),
                            "the new context and its `CancelFunc` are dropped at once",
                            "bind both: `let (ctx, _cancel) = ..`",
                        );
                    }
                }
                _ => {}
            }
        }
    }
}

/// The method name, if `e` is a call of one of the `with_*` constructors.
fn cancel_call(e: &Expr) -> Option<String> {
    match e {
        Expr::MethodCall(m) if WITH_CANCEL.iter().any(|w| m.method == w) => {
            Some(m.method.to_string())
        }
        Expr::Call(c) => match &*c.func {
            Expr::Path(p)
                if p.path
                    .segments
                    .last()
                    .is_some_and(|s| s.ident == "notify_context") =>
            {
                Some("notify_context".into())
            }
            _ => None,
        },
        _ => None,
    }
}

/// Whether `stmt` uses the variable `ident`: as a path expression, or
/// anywhere inside a macro invocation (whose tokens are not parsed). A
/// method or field of the same name (`stop.cancel()`) does not count.
fn mentions(stmt: &Stmt, ident: &str) -> bool {
    struct Uses<'a> {
        ident: &'a str,
        found: bool,
    }
    impl<'ast> Visit<'ast> for Uses<'_> {
        fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
            self.found |= p.path.is_ident(self.ident);
        }
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            self.found |= tokens_mention(m.tokens.clone(), self.ident);
        }
    }
    fn tokens_mention(ts: proc_macro2::TokenStream, ident: &str) -> bool {
        ts.into_iter().any(|tt| match tt {
            proc_macro2::TokenTree::Ident(i) => i == ident,
            proc_macro2::TokenTree::Group(g) => tokens_mention(g.stream(), ident),
            _ => false,
        })
    }
    let mut u = Uses {
        ident,
        found: false,
    };
    u.visit_stmt(stmt);
    u.found
}

fn is_fresh_root(names: &Names, call: &ExprCall) -> bool {
    let Expr::Path(p) = &*call.func else {
        return false;
    };
    let segs: Vec<_> = p.path.segments.iter().collect();
    segs.len() >= 2
        && call.args.is_empty()
        && names
            .context
            .contains(&segs[segs.len() - 2].ident.to_string())
        && matches!(
            segs[segs.len() - 1].ident.to_string().as_str(),
            "background" | "todo"
        )
}

impl<'ast> Visit<'ast> for Linter<'_> {
    fn visit_item(&mut self, item: &'ast Item) {
        let keyword = match item {
            Item::Fn(f) => f.sig.fn_token.span,
            Item::Struct(s) => s.struct_token.span,
            Item::Enum(e) => e.enum_token.span,
            Item::Impl(i) => i.impl_token.span,
            Item::Trait(t) => t.trait_token.span,
            Item::Mod(m) => m.mod_token.span,
            other => other.span(),
        };
        self.with_allows(keyword, |l| match item {
            Item::Struct(s) => l.check_fields(&s.attrs, s.fields.iter()),
            Item::Enum(e) => {
                l.check_fields(&e.attrs, e.variants.iter().flat_map(|v| v.fields.iter()))
            }
            Item::Fn(f) => l.visit_fn(&f.attrs, &f.sig, Some(&f.block)),
            _ => visit::visit_item(l, item),
        });
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.with_allows(f.sig.fn_token.span, |l| {
            l.visit_fn(&f.attrs, &f.sig, Some(&f.block))
        });
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        self.with_allows(f.span(), |l| {
            l.visit_fn(&f.attrs, &f.sig, f.default.as_ref())
        });
    }

    fn visit_block(&mut self, b: &'ast Block) {
        self.check_stmts(&b.stmts);
        visit::visit_block(self, b);
    }

    fn visit_expr_call(&mut self, call: &'ast ExprCall) {
        if self.in_ctx_fn() && is_fresh_root(self.names, call) {
            self.report(
                Check::FreshRoot,
                call.span(),
                "a new root context in a fn that has a `ctx`".into(),
                "this starts a new tree: the caller's cancellation and deadline stop here",
                "derive from the fn's `ctx` instead (`ctx.with_cancel()`, or `ctx.without_cancel()` for work that must outlive it)",
            );
        }
        visit::visit_expr_call(self, call);
    }
}

/// Counts the awaits of a fn body (outside closures and async blocks) and
/// whether anything races them (`.run(..)`, `.done()`, `select!`).
#[derive(Default)]
struct AwaitScan {
    awaits: usize,
    races: bool,
}

impl<'ast> Visit<'ast> for AwaitScan {
    fn visit_expr(&mut self, e: &'ast Expr) {
        match e {
            Expr::Closure(_) | Expr::Async(_) => {}
            Expr::Await(a) => {
                self.awaits += 1;
                self.visit_expr(&a.base);
            }
            Expr::MethodCall(m) if m.method == "run" || m.method == "done" => self.races = true,
            Expr::Macro(m)
                if m.mac
                    .path
                    .segments
                    .last()
                    .is_some_and(|s| s.ident == "select") =>
            {
                self.races = true
            }
            _ => visit::visit_expr(self, e),
        }
    }

    fn visit_item(&mut self, _: &'ast Item) {}
}
