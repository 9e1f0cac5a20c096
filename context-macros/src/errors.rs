//! Collected diagnostics: every check adds to one list, and the item is
//! emitted next to them, so one mistake gives one error and IDEs keep
//! working (SPEC M9).

use proc_macro2::TokenStream;
use quote::ToTokens;

#[derive(Default)]
pub struct Errors(Vec<syn::Error>);

impl Errors {
    pub fn push(&mut self, e: syn::Error) {
        self.0.push(e);
    }

    /// The errors (for the agreement test).
    #[cfg(test)]
    pub fn iter(&self) -> impl Iterator<Item = &syn::Error> + '_ {
        self.0.iter()
    }

    pub fn spanned(&mut self, tokens: impl ToTokens, msg: impl std::fmt::Display) {
        self.0.push(syn::Error::new_spanned(tokens, msg));
    }
}

impl ToTokens for Errors {
    fn to_tokens(&self, out: &mut TokenStream) {
        for e in &self.0 {
            out.extend(e.to_compile_error());
        }
    }
}
