//! Re-spanning: pre-built token streams (the crate path) keep their own
//! spans inside `quote_spanned!`, so a diagnostic meant for the user's
//! token would land on the attribute instead. Re-span them first.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;

pub fn respan(tokens: impl ToTokens, span: Span) -> TokenStream {
    tokens
        .into_token_stream()
        .into_iter()
        .map(|tt| match tt {
            TokenTree::Group(g) => {
                let mut n = proc_macro2::Group::new(g.delimiter(), respan(g.stream(), span));
                n.set_span(span);
                TokenTree::Group(n)
            }
            mut other => {
                other.set_span(span);
                other
            }
        })
        .collect()
}
