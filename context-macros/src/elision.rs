//! Elided lifetimes keep their meaning (issue 11, item 3).
//!
//! Inserting `ctx: &Context` adds an input lifetime. When the fn had
//! exactly one before (and no `&self`, whose lifetime elided outputs take
//! whatever the other inputs are), its elided output lifetimes took that
//! one; with two, they are an error (E0106). So before inserting, the
//! elision is written out: the one input lifetime gets a name (its own,
//! or `'__elided`) and each elided lifetime of the output gets that name.
//! Lifetimes inside `fn(..)` pointers and `Fn(..)` sugar belong to those
//! types and are left alone on both sides.

use proc_macro2::Span;
use syn::visit::{self, Visit};
use syn::visit_mut::{self, VisitMut};
use syn::{
    FnArg, GenericParam, Lifetime, LifetimeParam, ParenthesizedGenericArguments, ReceiverKind,
    ReturnType, Signature, Type, TypeFnPtr, TypeReference,
};

/// Writes out the elision of `sig`'s output lifetimes, if inserting a
/// context would break it.
pub fn pin_output_lifetimes(sig: &mut Signature) {
    if let Some(FnArg::Receiver(r)) = sig.inputs.first() {
        let by_ref = match &r.kind {
            ReceiverKind::Reference(..) => true,
            ReceiverKind::Typed(_, ty) => matches!(&**ty, Type::Reference(_)),
            _ => false,
        };
        if by_ref {
            return; // `&self`'s lifetime wins, with or without a `ctx`
        }
    }
    let ReturnType::Type(_, out) = &sig.output else {
        return;
    };
    let mut elided = Count::default();
    elided.visit_type(out);
    if elided.elided == 0 {
        return;
    }
    let mut inputs = Count::default();
    for arg in &sig.inputs {
        match arg {
            FnArg::Typed(pt) => inputs.visit_type(&pt.ty),
            FnArg::Receiver(r) => {
                if let ReceiverKind::Typed(_, ty) = &r.kind {
                    inputs.visit_type(ty);
                }
            }
        }
    }
    if inputs.elided + inputs.named.len() != 1 {
        return; // zero or several: it did not compile before either
    }
    let name = match inputs.named.pop() {
        Some(named) => named,
        None => {
            let name = Lifetime::new("'__elided", Span::call_site());
            sig.generics
                .params
                .insert(0, GenericParam::Lifetime(LifetimeParam::new(name.clone())));
            for arg in &mut sig.inputs {
                if let FnArg::Typed(pt) = arg {
                    Name(&name).visit_type_mut(&mut pt.ty);
                }
            }
            name
        }
    };
    if let ReturnType::Type(_, out) = &mut sig.output {
        Name(&name).visit_type_mut(out);
    }
}

/// Counts elided (`&T`, `'_`) and named lifetimes outside fn pointers.
#[derive(Default)]
struct Count {
    elided: usize,
    named: Vec<Lifetime>,
}

impl<'a> Visit<'a> for Count {
    fn visit_type_reference(&mut self, r: &'a TypeReference) {
        if r.lifetime.is_none() {
            self.elided += 1;
        }
        visit::visit_type_reference(self, r);
    }

    fn visit_lifetime(&mut self, l: &'a Lifetime) {
        if l.ident == "_" {
            self.elided += 1;
        } else if l.ident != "static" {
            self.named.push(l.clone());
        }
    }

    fn visit_type_fn_ptr(&mut self, _: &'a TypeFnPtr) {}
    fn visit_parenthesized_generic_arguments(&mut self, _: &'a ParenthesizedGenericArguments) {}
}

/// Gives every elided lifetime outside fn pointers the name.
struct Name<'n>(&'n Lifetime);

impl VisitMut for Name<'_> {
    fn visit_type_reference_mut(&mut self, r: &mut TypeReference) {
        if r.lifetime.is_none() {
            r.lifetime = Some(self.0.clone());
        }
        visit_mut::visit_type_reference_mut(self, r);
    }

    fn visit_lifetime_mut(&mut self, l: &mut Lifetime) {
        if l.ident == "_" {
            *l = self.0.clone();
        }
    }

    fn visit_type_fn_ptr_mut(&mut self, _: &mut TypeFnPtr) {}
    fn visit_parenthesized_generic_arguments_mut(&mut self, _: &mut ParenthesizedGenericArguments) {
    }
}
