//! The body: every `.await` becomes a race with the context (M3), `#[shield]`
//! markers are honoured and stripped (M4), a fresh root gets a warning (M7),
//! and a `CancelFunc` bound to `_` is an error (M10).
//!
//! Left alone, and documented: awaits inside closures, `async` blocks,
//! nested items and macro invocations (the macro cannot see into the last
//! and must not change the meaning of the others), and `ctx.done().await`.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote_spanned, ToTokens};
use syn::visit_mut::{self, VisitMut};
use syn::{Attribute, Block, Expr, ExprAwait, Item, Local, Macro, Path, Stmt};

use crate::errors::Errors;
use crate::macros::{self, Kind, Select};
use crate::respan::respan;

/// What became of a macro invocation.
enum MacroOutcome {
    /// Left as it is (or its tokens rewritten in place).
    Unchanged,
    /// Replaced by this expression.
    Replace(Expr),
    /// Kept, with a warning: the path of the deprecated identity fn that
    /// carries it.
    Warn(TokenStream),
}

/// What the rewriting needs to know about the fn.
pub struct Body<'a> {
    /// The context parameter's name, as the user's code sees it.
    pub ctx: &'a Ident,
    /// Its type's span: where a type that is not ours is reported.
    pub ctx_span: Span,
    /// The later parameters' types, probed for M2.
    pub later: &'a [syn::Type],
    pub krate: &'a Path,
    /// Where an unusable return type is reported: every generated early
    /// return carries this span, so rustc reports it once, not per await.
    pub ret_span: Span,
    /// The names of our `Context` (renames in the annotated item).
    pub names: &'a context_rules::names::Names,
}

pub fn rewrite(block: &mut Block, body: &Body<'_>, errs: &mut Errors) {
    // Mixed-site: a user who shadows `ctx` does not redirect the races.
    let alias = Ident::new("__context_ctx", Span::mixed_site());
    let mut r = Rewriter {
        body,
        alias: &alias,
        errs,
        shield: 0,
        nested: 0,
    };
    r.visit_block_mut(block);
    let (ctx, krate) = (body.ctx, body.krate);
    // Spanned at the parameter's type: "`T` is not `context::Context`"
    // lands there, not on the attribute (M8).
    let k = respan(krate, body.ctx_span);
    let ours = quote_spanned!(body.ctx_span=> #k::__private::ours(&#ctx));
    let bind: Stmt = syn::parse_quote_spanned!(Span::mixed_site()=>
        let #alias: &#krate::Context = #ours;
    );
    let mut first = vec![bind];
    for ty in body.later {
        let span = syn::spanned::Spanned::span(ty);
        let k = respan(krate, span);
        first.push(syn::parse_quote_spanned!(span=>
            #k::__private::require_first(#k::__private::ParamProbe::<#ty>::new().check());
        ));
    }
    if !body.later.is_empty() {
        let k = respan(krate, Span::call_site());
        first.insert(
            1,
            syn::parse_quote_spanned!(Span::mixed_site()=>
                #[allow(unused_imports)] use #k::__private::ParamFallback as _;
            ),
        );
    }
    block.stmts.splice(0..0, first);
}

/// Removes every `#[shield]` marker from a body that is not rewritten (its
/// signature was refused), so that rustc reports that error alone.
pub fn strip_shields(block: &mut Block) {
    struct Strip;
    impl VisitMut for Strip {
        fn visit_attributes_mut(&mut self, attrs: &mut Vec<Attribute>) {
            attrs.retain(|a| !a.path().is_ident("shield"));
        }
    }
    Strip.visit_block_mut(block);
}

struct Rewriter<'a, 'e> {
    body: &'a Body<'a>,
    alias: &'a Ident,
    errs: &'e mut Errors,
    /// Inside a `#[shield]`: awaits stay as written.
    shield: usize,
    /// Inside a closure or `async` block: awaits stay as written.
    nested: usize,
}

impl Rewriter<'_, '_> {
    /// Removes `#[shield]` markers; hands back the one that applies, if any.
    /// A marker inside a closure or `async` block is an error (M4).
    fn take_shield(&mut self, attrs: Option<&mut Vec<Attribute>>) -> Option<Attribute> {
        let attrs = attrs?;
        let mut found = None;
        let nested = self.nested > 0;
        let errs = &mut *self.errs;
        attrs.retain(|a| {
            if !a.path().is_ident("shield") {
                return true;
            }
            if nested {
                no_effect(errs, a);
            } else {
                found.get_or_insert_with(|| a.clone());
            }
            false
        });
        found
    }

    fn is_ctx_done(&self, e: &Expr) -> bool {
        let Expr::MethodCall(m) = e else { return false };
        m.method == "done"
            && m.args.is_empty()
            && matches!(&*m.receiver, Expr::Path(p) if p.path.is_ident(self.body.ctx))
    }

    /// `base.await` as a race: returns early through `cancelled` when the
    /// context ends first. A real `Expr::Match` node, so syn's printer adds
    /// parentheses only where the grammar needs them.
    fn race(&self, aw: ExprAwait) -> Expr {
        let ExprAwait {
            mut base,
            dot_token,
            await_token,
            ..
        } = aw;
        // `(&mut fut).await`: as a call's argument the parentheses are
        // unneeded, and rustc's `unused_parens` would say so.
        while let Expr::Paren(p) = &mut *base {
            if !p.attrs.is_empty() {
                break;
            }
            let inner = std::mem::replace(&mut *p.expr, Expr::Verbatim(Default::default()));
            *base = inner;
        }
        let alias = self.alias;
        let at = await_token.span;
        let run = respan(self.body.krate, at);
        // Hygienic, but located at the user's await: a type error in the
        // awaited value is reported on the user's line (M9).
        let ok = Ident::new("__context_ok", Span::mixed_site().located_at(at));
        let err = Ident::new("__context_err", Span::mixed_site());
        let early = self.early(&err);
        syn::parse_quote_spanned! {at=>
            match #run::Context::run(#alias, #base) #dot_token #await_token {
                ::core::result::Result::Ok(#ok) => #ok,
                ::core::result::Result::Err(#err) => #early,
            }
        }
    }

    /// `return cancelled(err)`, at the return type's span: one error there
    /// when the return type cannot say "cancelled" (M3).
    fn early(&self, err: &Ident) -> TokenStream {
        let ret = self.body.ret_span;
        let ret_krate = respan(self.body.krate, ret);
        quote_spanned!(ret=> return #ret_krate::__private::cancelled(#err))
    }

    /// A macro invocation in the body: see `macros.rs`.
    fn rewrite_macro(&mut self, mac: &mut Macro) -> MacroOutcome {
        let at = macros::span(mac);
        let k = respan(self.body.krate, at);
        let err = Ident::new("__context_err", Span::mixed_site());
        let emit = |r: &Self| macros::Emit {
            alias: r.alias,
            run: k.clone(),
            early: r.early(&err),
            err: &err,
        };
        match macros::classify(mac) {
            Kind::Plain => MacroOutcome::Unchanged,
            Kind::Ambiguous => MacroOutcome::Warn(quote_spanned!(at=> #k::__private::select_path)),
            Kind::Opaque => MacroOutcome::Warn(quote_spanned!(at=> #k::__private::not_raced)),
            Kind::Exprs => match macros::parse_exprs(mac.tokens.clone()) {
                Some(mut args) => {
                    for a in args.iter_mut() {
                        self.visit_expr_mut(a);
                    }
                    mac.tokens = args.into_token_stream();
                    MacroOutcome::Unchanged
                }
                None => MacroOutcome::Warn(quote_spanned!(at=> #k::__private::not_raced)),
            },
            Kind::Join => {
                let base: Expr = syn::parse_quote_spanned!(at=> async { #mac });
                MacroOutcome::Replace(self.race(ExprAwait {
                    attrs: Vec::new(),
                    base: Box::new(base),
                    dot_token: syn::Token![.](at),
                    await_token: syn::Token![await](at),
                }))
            }
            Kind::TokioSelect | Kind::FuturesSelect(_) => {
                let Ok(mut sel) = Select::parse(mac.tokens.clone()) else {
                    // Malformed: the macro itself says what is wrong.
                    return MacroOutcome::Unchanged;
                };
                let kind = macros::classify(mac);
                if let Kind::FuturesSelect(_) = kind {
                    if sel.has_tail("complete") || sel.branches.iter().any(|b| b.cond.is_some()) {
                        return MacroOutcome::Warn(
                            quote_spanned!(at=> #k::__private::complete_not_raced),
                        );
                    }
                }
                for b in &mut sel.branches {
                    self.visit_expr_mut(&mut b.future);
                    if let Some(c) = &mut b.cond {
                        self.visit_expr_mut(c);
                    }
                    self.visit_expr_mut(&mut b.handler);
                }
                for (_, h) in &mut sel.tails {
                    self.visit_expr_mut(h);
                }
                let e = emit(self);
                let tokens = match &kind {
                    Kind::FuturesSelect(krate) => e.futures_select(mac, krate, &sel),
                    _ => e.tokio_select(mac, &sel),
                };
                MacroOutcome::Replace(syn::parse2(tokens).expect("a block expression"))
            }
        }
    }

    /// `Context::background()` / `Context::todo()` wrapped in a deprecated
    /// identity fn: a real warning, at the user's call (M7).
    fn warn_fresh_root(&self, call: Expr) -> Expr {
        let span = syn::spanned::Spanned::span(&call);
        let k = respan(self.body.krate, span);
        syn::parse_quote_spanned!(span=> #k::__private::fresh_root(#call))
    }

    /// M10: a `CancelFunc` dropped at once (the shapes are the rules
    /// crate's, shared with ctx-lint's `dropped-cancel`).
    fn dropped(&mut self, d: Option<context_rules::cancel::Dropped>) {
        if let Some(d) = d {
            self.errs.push(syn::Error::new(d.span, d.message()));
        }
    }
}

fn no_effect(errs: &mut Errors, marker: &Attribute) {
    errs.spanned(
        marker,
        "`#[shield]` has no effect on or inside a closure or `async` block: `#[ctx_aware]` leaves the awaits there un-raced already; remove it",
    );
}

impl VisitMut for Rewriter<'_, '_> {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        let marker = self.take_shield(expr_attrs(e));
        let shielded = marker.is_some();
        self.shield += usize::from(shielded);
        match e {
            Expr::Closure(_) | Expr::Async(_) => {
                if let Some(m) = &marker {
                    no_effect(self.errs, m);
                }
                self.nested += 1;
                visit_mut::visit_expr_mut(self, e);
                self.nested -= 1;
            }
            Expr::Await(aw) => {
                self.visit_expr_mut(&mut aw.base);
                if self.shield == 0 && self.nested == 0 && !self.is_ctx_done(&aw.base) {
                    let Expr::Await(aw) = std::mem::replace(e, Expr::Verbatim(Default::default()))
                    else {
                        unreachable!()
                    };
                    *e = self.race(aw);
                }
            }
            Expr::Call(call) if self.body.names.is_fresh_root(call) => {
                let call = std::mem::replace(e, Expr::Verbatim(Default::default()));
                *e = self.warn_fresh_root(call);
            }
            Expr::Macro(m) if self.shield == 0 && self.nested == 0 => {
                match self.rewrite_macro(&mut m.mac) {
                    MacroOutcome::Unchanged => {}
                    MacroOutcome::Replace(new) => *e = new,
                    MacroOutcome::Warn(f) => {
                        let mac = std::mem::replace(e, Expr::Verbatim(Default::default()));
                        *e = syn::parse_quote!(#f(#mac));
                    }
                }
            }
            Expr::Macro(_) => {}
            Expr::Field(f) => {
                self.dropped(context_rules::cancel::in_field(f));
                visit_mut::visit_expr_mut(self, e);
            }
            _ => visit_mut::visit_expr_mut(self, e),
        }
        self.shield -= usize::from(shielded);
    }

    fn visit_local_mut(&mut self, l: &mut Local) {
        self.dropped(context_rules::cancel::in_local(l));
        let shielded = self.take_shield(Some(&mut l.attrs)).is_some();
        self.shield += usize::from(shielded);
        let awaited = |l: &Local| matches!(l.init.as_ref().map(|i| &*i.expr), Some(Expr::Await(_)));
        let was_await = awaited(l);
        visit_mut::visit_local_mut(self, l);
        self.shield -= usize::from(shielded);
        if was_await && !awaited(l) {
            // `let v = unit().await;` is clean; its raced form is a `match`
            // of unit type, which clippy's `let_unit_value` would flag.
            l.attrs.push(
                syn::parse_quote_spanned!(Span::mixed_site()=> #[allow(clippy::let_unit_value)]),
            );
        }
    }

    fn visit_block_mut(&mut self, b: &mut Block) {
        let mut stmts = Vec::with_capacity(b.stmts.len());
        for mut s in std::mem::take(&mut b.stmts) {
            if let Stmt::Macro(m) = &mut s {
                let shielded = self.take_shield(Some(&mut m.attrs)).is_some();
                if !shielded && self.shield == 0 && self.nested == 0 {
                    match self.rewrite_macro(&mut m.mac) {
                        MacroOutcome::Unchanged => {}
                        MacroOutcome::Replace(e) => s = Stmt::Expr(e, m.semi_token),
                        // A statement macro may declare locals (`pin!`):
                        // the warning goes in a statement of its own.
                        MacroOutcome::Warn(f) => stmts.push(syn::parse_quote!(#f(());)),
                    }
                }
            } else {
                self.dropped(context_rules::cancel::in_stmt(&s));
                self.visit_stmt_mut(&mut s);
            }
            stmts.push(s);
        }
        b.stmts = stmts;
    }

    /// Nested items are separate fns: left alone.
    fn visit_item_mut(&mut self, _: &mut Item) {}
}

/// The attributes of any expression that can carry them.
fn expr_attrs(e: &mut Expr) -> Option<&mut Vec<Attribute>> {
    Some(match e {
        Expr::Array(x) => &mut x.attrs,
        Expr::Assign(x) => &mut x.attrs,
        Expr::Async(x) => &mut x.attrs,
        Expr::Await(x) => &mut x.attrs,
        Expr::Binary(x) => &mut x.attrs,
        Expr::Block(x) => &mut x.attrs,
        Expr::Break(x) => &mut x.attrs,
        Expr::Call(x) => &mut x.attrs,
        Expr::Cast(x) => &mut x.attrs,
        Expr::Closure(x) => &mut x.attrs,
        Expr::Const(x) => &mut x.attrs,
        Expr::Continue(x) => &mut x.attrs,
        Expr::Field(x) => &mut x.attrs,
        Expr::ForLoop(x) => &mut x.attrs,
        Expr::Group(x) => &mut x.attrs,
        Expr::If(x) => &mut x.attrs,
        Expr::Index(x) => &mut x.attrs,
        Expr::Let(x) => &mut x.attrs,
        Expr::Lit(x) => &mut x.attrs,
        Expr::Loop(x) => &mut x.attrs,
        Expr::Macro(x) => &mut x.attrs,
        Expr::Match(x) => &mut x.attrs,
        Expr::MethodCall(x) => &mut x.attrs,
        Expr::Paren(x) => &mut x.attrs,
        Expr::Path(x) => &mut x.attrs,
        Expr::Range(x) => &mut x.attrs,
        Expr::Reference(x) => &mut x.attrs,
        Expr::Repeat(x) => &mut x.attrs,
        Expr::Return(x) => &mut x.attrs,
        Expr::Struct(x) => &mut x.attrs,
        Expr::Try(x) => &mut x.attrs,
        Expr::TryBlock(x) => &mut x.attrs,
        Expr::Tuple(x) => &mut x.attrs,
        Expr::Unary(x) => &mut x.attrs,
        Expr::Unsafe(x) => &mut x.attrs,
        Expr::While(x) => &mut x.attrs,
        Expr::Yield(x) => &mut x.attrs,
        _ => return None,
    })
}
