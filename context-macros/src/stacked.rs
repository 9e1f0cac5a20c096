//! Attributes stacked with `#[ctx_aware]` (M11): when one above it has
//! already rewritten the fn, say which one and which order works, instead
//! of a message about the rewritten code. Each is known by what its
//! expansion leaves, never by a string match on types:
//!
//! - `#[async_trait]`: its `'async_trait` lifetime on the fn;
//! - `#[tracing::instrument]`: its `__tracing_attr_span` local;
//! - `#[tokio::main]` / `#[tokio::test]`: a sync fn whose body builds a
//!   runtime and calls `block_on` (these fns take no arguments, so there
//!   is no place for a `ctx` at all).

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::{Attribute, Block, Signature};

/// Which attribute above `#[ctx_aware]` already rewrote the fn (or, for
/// an entry point, is on it).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Above {
    AsyncTrait,
    Instrument,
    RuntimeEntry,
}

impl Above {
    pub fn message(self) -> &'static str {
        match self {
            Above::AsyncTrait => {
                "this fn was already expanded by `#[async_trait]`: put `#[ctx_aware]` above `#[async_trait]`"
            }
            Above::Instrument => {
                "`#[tracing::instrument]` above `#[ctx_aware]` has already moved this body into an `async` block, where its awaits cannot be raced: put `#[ctx_aware]` above `#[instrument]`"
            }
            Above::RuntimeEntry => {
                "a `main` or test fn (`#[tokio::main]`, `#[test]`, `#[tokio::test]`) takes no arguments, so it cannot take a `ctx`: remove `#[ctx_aware]` here, make the context in the body (`let (ctx, _cancel) = Context::background().with_cancel();`) and pass it to annotated fns"
            }
        }
    }
}

/// What, if anything, already rewrote the fn.
pub fn above(sig: &Signature, attrs: &[Attribute], block: Option<&Block>) -> Option<Above> {
    if sig
        .generics
        .lifetimes()
        .any(|l| l.lifetime.ident == "async_trait")
    {
        return Some(Above::AsyncTrait);
    }
    let body = block.map(ToTokens::to_token_stream).unwrap_or_default();
    if has_ident(&body, &|i| i == "__tracing_attr_span") {
        return Some(Above::Instrument);
    }
    // Above: a sync `main`/test that builds a runtime. Below: the entry
    // attribute is still on the fn.
    let expanded_entry = sig.asyncness.is_none()
        && (sig.ident == "main" || is_test(attrs))
        && has_ident(&body, &|i| i == "block_on");
    let entry_below = attrs
        .iter()
        .any(|a| a.path().segments.last().is_some_and(|s| s.ident == "main"))
        || is_test(attrs);
    if expanded_entry || entry_below {
        return Some(Above::RuntimeEntry);
    }
    None
}

fn has_ident(ts: &TokenStream, f: &dyn Fn(&proc_macro2::Ident) -> bool) -> bool {
    ts.clone().into_iter().any(|tt| match tt {
        TokenTree::Ident(i) => f(&i),
        TokenTree::Group(g) => has_ident(&g.stream(), f),
        _ => false,
    })
}

/// A test fn (`#[test]`, `#[tokio::test]`, `#[rstest]`, ..): inside an
/// annotated `mod`, left alone; it takes no `ctx`.
pub fn is_test(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path()
            .segments
            .last()
            .is_some_and(|s| s.ident == "test" || s.ident == "rstest" || s.ident == "bench")
    })
}
