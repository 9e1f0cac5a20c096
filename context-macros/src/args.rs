//! The attribute's arguments: `#[ctx_aware]` or `#[ctx_aware(crate = path)]`.

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::{Path, Token};

/// Parsed arguments.
pub struct Args {
    /// How generated code names the runtime (`::context` by default).
    pub krate: Path,
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut krate = None;
        while !input.is_empty() {
            let key: syn::Ident = input.call(syn::ext::IdentExt::parse_any)?;
            if key != "crate" {
                return Err(syn::Error::new(
                    key.span(),
                    "unknown argument: `#[ctx_aware]` takes only `crate = path::to::context`",
                ));
            }
            input.parse::<Token![=]>()?;
            krate = Some(input.parse::<Path>()?);
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        let krate =
            krate.unwrap_or_else(|| syn::parse_quote_spanned!(Span::call_site()=> ::context));
        Ok(Args { krate })
    }
}
