//! What the attribute is on: a fn (M1-M4, M8), an `impl` or a `trait`
//! (each async fn inside, M5), an inline `mod` (everything inside), or a
//! `struct`/`enum` (M6). Anything else is an error naming these.

use proc_macro2::TokenStream;
use syn::spanned::Spanned;
use syn::{Attribute, Block, ImplItem, Item, Path, ReturnType, Signature, TraitItem};

use context_rules::names::Names;

use crate::errors::Errors;
use crate::rewrite::{self, Body};
use crate::{fields, sig, stacked};

/// Expands `item` in place; returns items to emit beside it.
pub fn expand(item: &mut Item, krate: &Path, names: &Names, errs: &mut Errors) -> TokenStream {
    match item {
        Item::Fn(f) => expand_fn(&f.attrs, &mut f.sig, Some(&mut f.block), krate, names, errs),
        Item::Impl(i) => {
            for it in &mut i.items {
                if let ImplItem::Fn(f) = it {
                    if wants(&f.sig, &f.attrs) {
                        expand_fn(&f.attrs, &mut f.sig, Some(&mut f.block), krate, names, errs);
                    }
                }
            }
        }
        Item::Trait(t) => {
            for it in &mut t.items {
                if let TraitItem::Fn(f) = it {
                    if wants(&f.sig, &f.attrs) {
                        expand_fn(&f.attrs, &mut f.sig, f.default.as_mut(), krate, names, errs);
                    }
                }
            }
        }
        Item::Mod(m) => match &mut m.content {
            None => errs.spanned(
                &m.ident,
                "`#[ctx_aware]` on a file module (`mod m;`) is unstable in Rust: put it on an inline `mod m { .. }` or on the items inside",
            ),
            Some((_, items)) => {
                let mut extra = Vec::new();
                for it in items.iter_mut() {
                    let nested = match it {
                        Item::Fn(f) if !wants(&f.sig, &f.attrs) => continue,
                        Item::Fn(_) | Item::Impl(_) | Item::Trait(_) | Item::Mod(_) => expand(it, krate, names, errs),
                        Item::Struct(_) | Item::Enum(_) => expand(it, krate, names, errs),
                        _ => continue,
                    };
                    if !nested.is_empty() {
                        extra.push(Item::Verbatim(nested));
                    }
                }
                items.extend(extra);
            }
        },
        Item::Struct(s) => return fields::check(&s.ident, &s.generics, std::iter::once(&s.fields), krate),
        Item::Enum(e) => return fields::check(&e.ident, &e.generics, e.variants.iter().map(|v| &v.fields), krate),
        other => errs.push(syn::Error::new(
            other.span(),
            "`#[ctx_aware]` goes on an `async fn`, an `impl` block, a `trait`, an inline `mod`, a `struct` or an `enum`",
        )),
    }
    TokenStream::new()
}

/// Inside an `impl`, `trait` or `mod`: async fns, and fns that
/// `#[async_trait]` already expanded (so that M11 can say so). Sync fns
/// returning a boxed future by hand (tower's `call`) and test fns are
/// left alone (M5).
fn wants(sig: &Signature, attrs: &[Attribute]) -> bool {
    let expanded = stacked::above(sig, attrs, None) == Some(stacked::Above::AsyncTrait);
    (sig.asyncness.is_some() || expanded) && !stacked::is_test(attrs)
}

fn expand_fn(
    attrs: &[Attribute],
    sig: &mut Signature,
    block: Option<&mut Block>,
    krate: &Path,
    names: &Names,
    errs: &mut Errors,
) {
    let above = stacked::above(sig, attrs, block.as_deref());
    let Some(ctx) = sig::prepare(sig, above, krate, names, errs) else {
        // One mistake, one error (M9): the markers go even so.
        if let Some(block) = block {
            rewrite::strip_shields(block);
        }
        return;
    };
    let Some(block) = block else { return };
    let ret_span = match &sig.output {
        ReturnType::Type(_, ty) => ty.span(),
        ReturnType::Default => sig.ident.span(),
    };
    let body = Body {
        ctx: &ctx.name,
        ctx_span: ctx.ty_span,
        later: &ctx.later,
        krate,
        ret_span,
        names,
    };
    rewrite::rewrite(block, &body, errs);
}
