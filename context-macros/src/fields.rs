//! M6: contexts are not stored in structs or enums.
//!
//! Two halves. A syntactic walk finds every path ending in `Context` inside
//! a field's type (through references, tuples, arrays and generic arguments,
//! but not `PhantomData<..>`, `fn(..)` pointers or `Fn(..)` arguments, which
//! only mention a context). Each such path, or the whole field type when the
//! walk found none (it may be an alias or a renamed import), is then probed
//! at the type level by `__private::Probe`, which is exact: it only fires on
//! our `Context`, so another crate's type named `Context` passes. The error
//! is rustc's, with our message, at the offending type.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{Fields, GenericArgument, Generics, Path, PathArguments, Type, TypePath};

use crate::respan::respan;

pub fn check<'a>(
    ident: &syn::Ident,
    generics: &Generics,
    fields: impl Iterator<Item = &'a Fields>,
    krate: &Path,
) -> TokenStream {
    let mut probes = Vec::new();
    for f in fields.flat_map(|f| f.iter()) {
        let mut walk = Walk::default();
        walk.visit_type(&f.ty);
        if walk.found.is_empty() {
            if !walk.mentions_self {
                probes.push(probe(&f.ty, krate));
            }
        } else {
            probes.extend(walk.found.iter().map(|t| probe(t, krate)));
        }
    }
    if probes.is_empty() {
        return TokenStream::new();
    }
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    // The item as an argument: its implied bounds (`'b: 'a` for a field
    // `&'a mut T<'b>`) hold in the check as they do in the item.
    quote! {
        #[allow(dead_code, non_snake_case, unused_qualifications, clippy::all)]
        const _: () = {
            fn __context_field_check #impl_generics (_: &#ident #ty_generics) #where_clause {
                use #krate::__private::Fallback as _;
                #(#probes)*
            }
        };
    }
}

fn probe(ty: &Type, krate: &Path) -> TokenStream {
    let span = ty.span();
    let k = respan(krate, span);
    quote_spanned! {span=>
        #k::__private::require_no_context(#k::__private::Probe::<#ty>::new().check());
    }
}

#[derive(Default)]
struct Walk<'a> {
    found: Vec<&'a Type>,
    mentions_self: bool,
}

impl<'a> Visit<'a> for Walk<'a> {
    fn visit_type(&mut self, ty: &'a Type) {
        match ty {
            Type::FnPtr(_) => {} // fn(&Context) only mentions it
            Type::Path(p) if ends_in_context(p) => self.found.push(ty),
            _ => visit::visit_type(self, ty),
        }
    }

    fn visit_type_path(&mut self, p: &'a TypePath) {
        if p.path.is_ident("Self") || p.path.segments.first().is_some_and(|s| s.ident == "Self") {
            self.mentions_self = true;
        }
        if p.path
            .segments
            .last()
            .is_some_and(|s| s.ident == "PhantomData")
        {
            return;
        }
        visit::visit_type_path(self, p);
    }

    fn visit_path_arguments(&mut self, a: &'a PathArguments) {
        // `Fn(&Context) -> R`: a callback taking a context stores none.
        if let PathArguments::AngleBracketed(_) = a {
            visit::visit_path_arguments(self, a);
        }
    }

    fn visit_generic_argument(&mut self, a: &'a GenericArgument) {
        if let GenericArgument::Type(t) = a {
            self.visit_type(t);
        }
    }
}

fn ends_in_context(p: &TypePath) -> bool {
    context_rules::names::Names::default().is_context_path(p)
}
