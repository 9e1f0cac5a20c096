//! The body: every `.await` becomes a race with the context (M3), `#[shield]`
//! markers are honoured and stripped (M4), a fresh root gets a warning (M7),
//! and a `CancelFunc` bound to `_` is an error (M10).
//!
//! Left alone, and documented: awaits inside closures, `async` blocks,
//! nested items and macro invocations (the macro cannot see into the last
//! and must not change the meaning of the others), and `ctx.done().await`.

use proc_macro2::{Ident, Span};
use quote::quote_spanned;
use syn::visit_mut::{self, VisitMut};
use syn::{Attribute, Block, Expr, ExprAwait, ExprCall, Item, Local, Pat, Path, Stmt};

use crate::errors::Errors;
use crate::respan::respan;

/// What the rewriting needs to know about the fn.
pub struct Body<'a> {
    /// The context parameter's name, as the user's code sees it.
    pub ctx: &'a Ident,
    pub krate: &'a Path,
    /// Where an unusable return type is reported: every generated early
    /// return carries this span, so rustc reports it once, not per await.
    pub ret_span: Span,
}

/// The `with_*` constructors that hand back a `CancelFunc`.
const WITH_CANCEL: &[&str] = &[
    "with_cancel",
    "with_deadline",
    "with_deadline_cause",
    "with_timeout",
    "with_timeout_cause",
];

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
    let bind: Stmt = syn::parse_quote_spanned!(Span::mixed_site()=>
        let #alias: &#krate::Context = &#ctx;
    );
    block.stmts.insert(0, bind);
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
            base,
            dot_token,
            await_token,
            ..
        } = aw;
        let alias = self.alias;
        let at = await_token.span;
        let run = respan(self.body.krate, at);
        let ret = self.body.ret_span;
        let ret_krate = respan(self.body.krate, ret);
        // Hygienic, but located at the user's await: a type error in the
        // awaited value is reported on the user's line (M9).
        let ok = Ident::new("__context_ok", Span::mixed_site().located_at(at));
        let err = Ident::new("__context_err", Span::mixed_site());
        let early = quote_spanned!(ret=> return #ret_krate::__private::cancelled(#err));
        syn::parse_quote_spanned! {at=>
            match #run::Context::run(#alias, #base) #dot_token #await_token {
                ::core::result::Result::Ok(#ok) => #ok,
                ::core::result::Result::Err(#err) => #early,
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

    /// M10: `let (c, _) = x.with_cancel();` drops the `CancelFunc` at once.
    fn check_dropped_cancel(&mut self, l: &Local) {
        let Some(init) = &l.init else { return };
        let Expr::MethodCall(m) = &*init.expr else {
            return;
        };
        if !WITH_CANCEL.iter().any(|w| m.method == w) {
            return;
        }
        let mut pat = &l.pat;
        while let Pat::Type(t) = pat {
            pat = &t.pat;
        }
        let wild = match pat {
            Pat::Wild(w) => Some(w),
            Pat::Tuple(t) if t.elems.len() == 2 => match &t.elems[1] {
                Pat::Wild(w) => Some(w),
                _ => None,
            },
            _ => None,
        };
        if let Some(w) = wild {
            self.errs.spanned(
                w,
                format!(
                    "this `_` drops the `CancelFunc` of `{}` at once, and dropping it cancels the context just made: bind it to a name such as `_cancel`",
                    m.method
                ),
            );
        }
    }
}

fn no_effect(errs: &mut Errors, marker: &Attribute) {
    errs.spanned(
        marker,
        "`#[shield]` has no effect on or inside a closure or `async` block: `#[ctx_aware]` leaves the awaits there un-raced already; remove it",
    );
}

fn is_fresh_root(call: &ExprCall) -> bool {
    let Expr::Path(p) = &*call.func else {
        return false;
    };
    let segs: Vec<_> = p.path.segments.iter().collect();
    segs.len() >= 2
        && call.args.is_empty()
        && segs[segs.len() - 2].ident == "Context"
        && (segs[segs.len() - 1].ident == "background" || segs[segs.len() - 1].ident == "todo")
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
            Expr::Call(call) if is_fresh_root(call) => {
                let call = std::mem::replace(e, Expr::Verbatim(Default::default()));
                *e = self.warn_fresh_root(call);
            }
            Expr::Macro(_) => {}
            _ => visit_mut::visit_expr_mut(self, e),
        }
        self.shield -= usize::from(shielded);
    }

    fn visit_local_mut(&mut self, l: &mut Local) {
        self.check_dropped_cancel(l);
        let shielded = self.take_shield(Some(&mut l.attrs)).is_some();
        self.shield += usize::from(shielded);
        visit_mut::visit_local_mut(self, l);
        self.shield -= usize::from(shielded);
    }

    fn visit_stmt_mut(&mut self, s: &mut Stmt) {
        if let Stmt::Macro(m) = s {
            // The macro's body is out of reach; a marker on it is just removed.
            self.take_shield(Some(&mut m.attrs));
            return;
        }
        visit_mut::visit_stmt_mut(self, s);
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
