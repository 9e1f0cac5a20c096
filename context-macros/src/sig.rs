//! The signature: what may carry `#[ctx_aware]` (M8, M11), where the
//! context goes (M1, M2), and inserting it.

use proc_macro2::{Ident, Span};
use syn::spanned::Spanned;
use syn::{FnArg, Pat, Path, Signature, Type};

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
) -> Option<Ctx> {
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
    // M2, at the type level, for what the syntax cannot see (an alias, a
    // rename outside the item): each later parameter whose type can be
    // named is probed, and only our `Context` is refused; another crate's
    // `Context` (`lambda::Context`) passes.
    let mut misplaced = false;
    for arg in sig.inputs.iter().skip(first + 1) {
        if let FnArg::Typed(pt) = arg {
            let named_ctx = matches!(&*pt.pat, Pat::Ident(p) if p.ident == "ctx");
            if named_ctx || (names.is_context(&pt.ty) && !is_foreign(&pt.ty, krate)) {
                // Seen in the syntax: one error here, and no `ctx` inserted
                // beside it (which would clash with a later `ctx`).
                errs.spanned(
                    pt,
                    "the context goes first: make `ctx: &Context` the first parameter (after `self`), as Go puts `ctx` first",
                );
                misplaced = true;
            }
        }
    }
    if misplaced {
        return None;
    }
    let later = sig
        .inputs
        .iter()
        .skip(first + 1)
        .filter_map(|a| match a {
            FnArg::Typed(pt) if nameable(&pt.ty) && !is_foreign(&pt.ty, krate) => {
                Some((*pt.ty).clone())
            }
            _ => None,
        })
        .collect();
    if let Some(FnArg::Typed(pt)) = sig.inputs.iter().nth(first) {
        if let Pat::Ident(p) = &*pt.pat {
            // Named `ctx`, or a type that reads as ours: the context (M1).
            // Whether it is ours is checked at the type level, at its type.
            let ours = names.is_context(&pt.ty) && !is_foreign(&pt.ty, krate);
            if p.ident == "ctx" || ours {
                return Some(Ctx {
                    name: p.ident.clone(),
                    ty_span: pt.ty.span(),
                    later,
                });
            }
        }
    }
    crate::elision::pin_output_lifetimes(sig);
    // Call-site hygiene: the user's body must be able to name `ctx`.
    let ctx = Ident::new("ctx", Span::call_site());
    let arg: FnArg = syn::parse_quote!(#ctx: &#krate::Context);
    sig.inputs.insert(first, arg);
    Some(Ctx {
        name: ctx,
        ty_span: Span::call_site(),
        later,
    })
}

/// The context parameter, as `prepare` found or made it.
pub struct Ctx {
    /// Its name in the body.
    pub name: Ident,
    /// Where a wrong type is reported: the parameter's type.
    pub ty_span: Span,
    /// The types of the later parameters, probed for M2.
    pub later: Vec<Type>,
}

/// A type the body can name: no `impl Trait` (a fresh generic there).
fn nameable(ty: &Type) -> bool {
    struct ImplTrait(bool);
    impl<'a> syn::visit::Visit<'a> for ImplTrait {
        fn visit_type_impl_trait(&mut self, _: &'a syn::TypeImplTrait) {
            self.0 = true;
        }
    }
    let mut v = ImplTrait(false);
    syn::visit::Visit::visit_type(&mut v, ty);
    !v.0
}

/// Another crate's `Context` (the rules crate's rule, with this
/// attribute's `crate = ..` path as ours too).
fn is_foreign(ty: &Type, krate: &Path) -> bool {
    let head = krate.segments.first().map(|s| s.ident.to_string());
    Names::default().is_foreign(ty, head.as_deref())
}
