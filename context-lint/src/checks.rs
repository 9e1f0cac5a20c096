//! The checks: one pass over each file's syntax tree.

use std::path::PathBuf;

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{Attribute, Block, Expr, ExprCall, FnArg, Item, Pat, Signature, Stmt};

use context_rules::cancel;

use crate::allow::Allows;
use crate::check::Check;
use crate::report::{Finding, Outcome, Skipped};
use crate::types::Names;

/// Lints `files` with the `enabled` checks.
pub fn lint_files(files: &[PathBuf], enabled: &[Check]) -> Outcome {
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
            enabled,
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
        checked: parsed.len(),
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
            if !self.names.is_context(&pt.ty) || self.names.context.is_foreign(&pt.ty, None) {
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
            let mut scan = AwaitScan::new(self.ctx_name(sig));
            scan.visit_block(body);
            if scan.unraced() {
                self.report(
                    Check::MissingCtxAware,
                    sig.ident.span(),
                    format!(
                        "`{}` takes a context but races none of its awaits ({} of {} neither race it nor pass it on)",
                        sig.ident,
                        scan.awaits - scan.passes_ctx,
                        scan.awaits
                    ),
                    "an async fn that takes `ctx`",
                    "add `#[context::ctx_aware]`, or wrap the awaits in `ctx.run(..)`, so the fn stops when its context ends",
                );
            }
        }
        self.fns.push(FnScope { has_ctx });
        self.visit_block(body);
        self.fns.pop();
    }

    /// The name of the fn's context parameter.
    fn ctx_name(&self, sig: &Signature) -> Option<String> {
        sig.inputs.iter().find_map(|a| match a {
            FnArg::Typed(pt) if self.names.is_context(&pt.ty) => match &*pt.pat {
                Pat::Ident(p) => Some(p.ident.to_string()),
                _ => None,
            },
            _ => None,
        })
    }

    fn in_ctx_fn(&self) -> bool {
        self.fns.last().is_some_and(|f| f.has_ctx)
    }

    fn check_stmts(&mut self, stmts: &[Stmt]) {
        for (i, stmt) in stmts.iter().enumerate() {
            let dropped = match stmt {
                Stmt::Local(l) => {
                    self.check_unused_cancel(l, &stmts[i + 1..]);
                    cancel::in_local(l)
                }
                s => cancel::in_stmt(s),
            };
            if let Some(d) = dropped {
                self.report_dropped(d);
            }
        }
    }

    fn report_dropped(&mut self, d: cancel::Dropped) {
        let message = format!("the `CancelFunc` of `{}` is dropped at once", d.method);
        self.report(Check::DroppedCancel, d.span, message, d.label(), d.help());
    }

    /// Lint-only (a heuristic the macro does not share): a `CancelFunc`
    /// bound to a plain name that nothing after it mentions.
    fn check_unused_cancel(&mut self, l: &syn::Local, rest: &[Stmt]) {
        let Some(init) = &l.init else { return };
        if cancel::cancel_call(&init.expr).is_none() {
            return;
        }
        let mut pat = &l.pat;
        while let Pat::Type(t) = pat {
            pat = &t.pat;
        }
        let p = match pat {
            Pat::Tuple(t) if t.elems.len() == 2 => &t.elems[1],
            whole => whole,
        };
        let Pat::Ident(p) = p else { return };
        let name = p.ident.to_string();
        if !name.starts_with('_') && !rest.iter().any(|s| mentions(s, &name)) {
            self.report(
                Check::DroppedCancel,
                p.ident.span(),
                format!("the `CancelFunc` `{name}` is never used"),
                "held until the end of the scope, and never called",
                "call it when the work is done; if holding it to the end of the scope is the intent, name it `_cancel`",
            );
        }
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
        if self.in_ctx_fn() && self.names.context.is_fresh_root(call) {
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

    fn visit_expr_field(&mut self, f: &'ast syn::ExprField) {
        if let Some(d) = cancel::in_field(f) {
            self.report_dropped(d);
        }
        visit::visit_expr_field(self, f);
    }
}

/// Counts the awaits of a fn body (outside closures and async blocks),
/// whether anything races them (`.run(..)`, `.done()`, `select!`), and
/// how many hand a context on to the fn they await (`child(ctx).await`):
/// a fn whose every await does that stops with its context already.
#[derive(Default)]
struct AwaitScan {
    awaits: usize,
    passes_ctx: usize,
    races: bool,
    /// The fn's context and the contexts made from it in the body.
    contexts: Vec<String>,
}

impl AwaitScan {
    fn new(ctx: Option<String>) -> Self {
        AwaitScan {
            contexts: ctx.into_iter().collect(),
            ..Self::default()
        }
    }

    /// `ctx`, `&ctx`, `ctx.clone()`: one of the contexts.
    fn is_context_arg(&self, e: &Expr) -> bool {
        match e {
            Expr::Reference(r) => self.is_context_arg(&r.expr),
            Expr::Paren(p) => self.is_context_arg(&p.expr),
            Expr::MethodCall(m) if m.method == "clone" => self.is_context_arg(&m.receiver),
            Expr::Path(p) => p
                .path
                .get_ident()
                .is_some_and(|i| self.contexts.iter().any(|c| i == c)),
            _ => false,
        }
    }

    fn passes_ctx(&self, e: &Expr) -> bool {
        match e {
            Expr::Call(c) => c.args.iter().any(|a| self.is_context_arg(a)),
            Expr::MethodCall(m) => m.args.iter().any(|a| self.is_context_arg(a)),
            _ => false,
        }
    }

    /// Unraced awaits remain.
    fn unraced(&self) -> bool {
        !self.races && self.awaits > self.passes_ctx
    }
}

impl<'ast> Visit<'ast> for AwaitScan {
    fn visit_local(&mut self, l: &'ast syn::Local) {
        // `let (sub, _cancel) = ctx.with_cancel();`, `let sub = ctx.with_value(..);`
        if let Some(init) = &l.init {
            let derived = cancel::cancel_call(&init.expr).is_some()
                || matches!(&*init.expr, Expr::MethodCall(m)
                    if m.method == "with_value" || m.method == "without_cancel");
            let mut pat = &l.pat;
            while let Pat::Type(t) = pat {
                pat = &t.pat;
            }
            let name = match pat {
                Pat::Tuple(t) => t.elems.first(),
                p => Some(p),
            };
            if let (true, Some(Pat::Ident(p))) = (derived, name) {
                self.contexts.push(p.ident.to_string());
            }
        }
        visit::visit_local(self, l);
    }

    fn visit_expr(&mut self, e: &'ast Expr) {
        match e {
            Expr::Closure(_) | Expr::Async(_) => {}
            Expr::Await(a) => {
                self.awaits += 1;
                self.passes_ctx += usize::from(self.passes_ctx(&a.base));
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
