//! The signature: what may carry `#[ctx_aware]` (M8, M11), where the
//! context goes (M1, M2), and inserting it.

use proc_macro2::{Ident, Span};
use syn::{FnArg, Pat, Path, Signature};

use context_rules::names::Names;

use crate::errors::Errors;
use crate::stacked::Above;

/// Checks the signature and inserts `ctx: &Context` first (after the
/// receiver) unless it is there. Returns the context parameter's name, or
/// `None` when the fn cannot be expanded (the errors say why).
pub fn prepare(
    sig: &mut Signature,
    above: Option<Above>,
    krate: &Path,
    names: &Names,
    errs: &mut Errors,
) -> Option<Ident> {
    if let Some(a) = above {
        errs.spanned(sig.fn_token, a.message());
        return None;
    }
    if let Some(c) = &sig.constness {
        errs.spanned(
            c,
            "`#[ctx_aware]` cannot go on a `const fn`: a const fn cannot await; remove `const` and write `async fn`",
        );
        return None;
    }
    if sig.asyncness.is_none() {
        errs.spanned(
            sig.fn_token,
            "`#[ctx_aware]` goes on an `async fn`: write `async fn`, or take `ctx: &Context` by hand and use `ctx.run(..)` in a sync fn",
        );
        return None;
    }
    let first = usize::from(matches!(sig.inputs.first(), Some(FnArg::Receiver(_))));
    let mut misplaced = false;
    for (i, arg) in sig.inputs.iter().enumerate() {
        if let FnArg::Typed(pt) = arg {
            if i != first && names.is_context(&pt.ty) {
                errs.spanned(
                    pt,
                    "the context goes first: make `ctx: &Context` the first parameter (after `self`), as Go puts `ctx` first",
                );
                misplaced = true;
            }
        }
    }
    if let Some(FnArg::Typed(pt)) = sig.inputs.iter().nth(first) {
        if let Pat::Ident(p) = &*pt.pat {
            if names.is_context(&pt.ty) {
                return Some(p.ident.clone());
            }
            if p.ident == "ctx" {
                errs.spanned(
                    &pt.ty,
                    "`ctx` must be the context: write `ctx: &Context`, or rename this parameter and let `#[ctx_aware]` insert `ctx`",
                );
                return None;
            }
        }
    }
    if misplaced {
        return None;
    }
    crate::elision::pin_output_lifetimes(sig);
    // Call-site hygiene: the user's body must be able to name `ctx`.
    let ctx = Ident::new("ctx", Span::call_site());
    let arg: FnArg = syn::parse_quote!(#ctx: &#krate::Context);
    sig.inputs.insert(first, arg);
    Some(ctx)
}
