//! `CancelFunc`s dropped at once (SPEC M10; ctx-lint's `dropped-cancel`).
//!
//! Dropping a `CancelFunc` cancels its context (C5), so each of these makes
//! a context that is born cancelled:
//!
//! - `let (c, _) = ctx.with_cancel();` and `let (c, ..) = ..` (the `_`/`..`
//!   drops it), `let _ = ..` (drops both);
//! - `ctx.with_timeout(d).0`, anywhere: a `let`, an argument, a return
//!   value (the tuple, and the `CancelFunc` in it, die with the statement);
//! - `ctx.with_cancel();` and `ctx.with_cancel().1;` as statements.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Expr, ExprField, Local, Member, Pat, Stmt};

/// The constructors that hand back a `(Context, CancelFunc)`.
pub const WITH_CANCEL: &[&str] = &[
    "with_cancel",
    "with_deadline",
    "with_deadline_cause",
    "with_timeout",
    "with_timeout_cause",
];

/// A `CancelFunc` dropped at once.
#[derive(Clone, Debug)]
pub struct Dropped {
    /// The token that drops it (`_`, `..`, `.0`, or the constructor's name
    /// in a statement that ignores its result).
    pub span: Span,
    /// The constructor called (`with_timeout`, `notify_context`, ..).
    pub method: String,
    /// How it is dropped.
    pub shape: Shape,
}

/// How a `CancelFunc` is dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// `let (c, _) = ..` or `let _ = ..`.
    Wild,
    /// `let (c, ..) = ..`.
    Rest,
    /// `.0` on the call.
    Field0,
    /// The call as a statement, its result ignored.
    Ignored,
}

impl Dropped {
    /// What is wrong, in one sentence with the fix (the macro's error).
    pub fn message(&self) -> String {
        let m = &self.method;
        match self.shape {
            Shape::Wild => format!(
                "this `_` drops the `CancelFunc` of `{m}` at once, and dropping it cancels the context just made: bind it to a name such as `_cancel`"
            ),
            Shape::Rest => format!(
                "this `..` drops the `CancelFunc` of `{m}` at once, and dropping it cancels the context just made: bind it to a name such as `_cancel`"
            ),
            Shape::Field0 => format!(
                "`.0` keeps the context of `{m}` and drops its `CancelFunc` at the end of the statement, which cancels the context: write `let (ctx, _cancel) = ..{m}(..);`"
            ),
            Shape::Ignored => format!(
                "the result of `{m}` is ignored: the new context and its `CancelFunc` are dropped at once; write `let (ctx, _cancel) = ..{m}(..);`"
            ),
        }
    }

    /// The short label under the offending token (the lint's).
    pub fn label(&self) -> &'static str {
        match self.shape {
            Shape::Wild | Shape::Rest => {
                "drops the `CancelFunc` here, which cancels the new context"
            }
            Shape::Field0 => "the `CancelFunc` is dropped with the rest of the tuple",
            Shape::Ignored => "the new context and its `CancelFunc` are dropped at once",
        }
    }

    /// What to write instead (the lint's help).
    pub fn help(&self) -> &'static str {
        "bind both: `let (ctx, _cancel) = ..`; a `CancelFunc` held to the end of the scope keeps its context alive until then"
    }
}

/// The constructor's name, if `e` calls one that returns a `CancelFunc`:
/// the `with_*` family, or `signal::notify_context(..)`.
pub fn cancel_call(e: &Expr) -> Option<String> {
    match e {
        Expr::Paren(p) => cancel_call(&p.expr),
        Expr::Group(g) => cancel_call(&g.expr),
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

/// The constructor's name token: where an ignored call is reported (a
/// proc macro on stable Rust cannot underline more than one token).
fn name_span(e: &Expr) -> Span {
    match e {
        Expr::Paren(p) => name_span(&p.expr),
        Expr::Group(g) => name_span(&g.expr),
        Expr::MethodCall(m) => m.method.span(),
        Expr::Field(f) => name_span(&f.base),
        Expr::Call(c) => match &*c.func {
            Expr::Path(p) => p.path.segments.last().map_or(c.span(), |s| s.ident.span()),
            f => f.span(),
        },
        e => e.span(),
    }
}

/// `x.with_cancel().N`: the constructor and `N`.
fn field_of_call(f: &ExprField) -> Option<(String, u32)> {
    let Member::Unnamed(i) = &f.member else {
        return None;
    };
    Some((cancel_call(&f.base)?, i.index))
}

/// `.0` on a constructor call, anywhere.
pub fn in_field(f: &ExprField) -> Option<Dropped> {
    match field_of_call(f)? {
        (method, 0) => Some(Dropped {
            span: f.member.span(),
            method,
            shape: Shape::Field0,
        }),
        _ => None,
    }
}

/// `let (c, _) = ..`, `let (c, ..) = ..`, `let _ = ..` on a constructor
/// call (or on its `.1`).
pub fn in_local(l: &Local) -> Option<Dropped> {
    let init = &l.init.as_ref()?.expr;
    let (method, whole) = match &**init {
        Expr::Field(f) => match field_of_call(f)? {
            (m, 1) => (m, false),
            _ => return None, // `.0` is `in_field`'s
        },
        e => (cancel_call(e)?, true),
    };
    let mut pat = &l.pat;
    while let Pat::Type(t) = pat {
        pat = &t.pat;
    }
    let (span, shape) = match pat {
        Pat::Wild(w) => (w.span(), Shape::Wild),
        Pat::Tuple(t) if whole => match t.elems.iter().nth(1) {
            Some(Pat::Wild(w)) if t.elems.len() == 2 => (w.span(), Shape::Wild),
            Some(Pat::Rest(r)) => (r.span(), Shape::Rest),
            // `(..)` or `(c, ..)`: the rest covers the `CancelFunc`.
            None => match t.elems.first() {
                Some(Pat::Rest(r)) => (r.span(), Shape::Rest),
                _ => return None,
            },
            _ => return None,
        },
        _ => return None,
    };
    Some(Dropped {
        span,
        method,
        shape,
    })
}

/// A constructor call (or its `.1`) as a statement: the result ignored.
pub fn in_stmt(s: &Stmt) -> Option<Dropped> {
    let Stmt::Expr(e, Some(_)) = s else {
        return None;
    };
    let method = match e {
        Expr::Field(f) => match field_of_call(f)? {
            (m, 1) => m,
            _ => return None,
        },
        e => cancel_call(e)?,
    };
    Some(Dropped {
        span: name_span(e),
        method,
        shape: Shape::Ignored,
    })
}
