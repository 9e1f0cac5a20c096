//! The signature: what may carry `#[ctx_aware]` (M8, M11), where the
//! context goes (M1, M2), and inserting it.

use proc_macro2::{Ident, Span};
use quote::ToTokens;
use syn::{FnArg, Pat, Path, ReturnType, Signature};

use context_rules::names::Names;

use crate::errors::Errors;

/// What `#[async_trait]` leaves behind: `fn .. -> Pin<Box<dyn Future ..>>`.
pub fn is_boxed_future(output: &ReturnType) -> bool {
    let ReturnType::Type(_, ty) = output else {
        return false;
    };
    let s = ty.to_token_stream().to_string();
    s.contains("Pin") && s.contains("Box") && s.contains("Future")
}

/// Checks the signature and inserts `ctx: &Context` first (after the
/// receiver) unless it is there. Returns the context parameter's name, or
/// `None` when the fn cannot be expanded (the errors say why).
pub fn prepare(
    sig: &mut Signature,
    krate: &Path,
    names: &Names,
    errs: &mut Errors,
) -> Option<Ident> {
    if let Some(c) = &sig.constness {
        errs.spanned(
            c,
            "`#[ctx_aware]` cannot go on a `const fn`: a const fn cannot await; remove `const` and write `async fn`",
        );
        return None;
    }
    if sig.asyncness.is_none() {
        if is_boxed_future(&sig.output) {
            errs.spanned(
                sig.fn_token,
                "this fn was already expanded by `#[async_trait]`: put `#[ctx_aware]` above `#[async_trait]`",
            );
        } else {
            errs.spanned(
                sig.fn_token,
                "`#[ctx_aware]` goes on an `async fn`: write `async fn`, or take `ctx: &Context` by hand and use `ctx.run(..)` in a sync fn",
            );
        }
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
    // Call-site hygiene: the user's body must be able to name `ctx`.
    let ctx = Ident::new("ctx", Span::call_site());
    let arg: FnArg = syn::parse_quote!(#ctx: &#krate::Context);
    sig.inputs.insert(first, arg);
    Some(ctx)
}
