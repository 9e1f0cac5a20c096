//! `#[ctx_aware]`: Go's "ctx first, check `ctx.Done()` at every blocking
//! point" discipline, written once, by the compiler.
//!
//! On an `async fn` the attribute
//!
//! 1. inserts `ctx: &Context` as the first parameter (after `self`), unless
//!    the first parameter already is a context (M1);
//! 2. turns every `.await` written in the body into a race with the context:
//!    when the context ends first, the pending future is dropped and the fn
//!    returns at once (M3) with `()`, `None`, or `Err(E::from(error))` for
//!    `Result<_, E>` where `E: From<context::Error>`;
//! 3. refuses at compile time what Go leaves to `go vet` and linters: a
//!    context that is not the first parameter (M2), a context stored in a
//!    struct (M6), a `CancelFunc` dropped at once with `_` (M10); and warns
//!    about a fresh `Context::background()` where a `ctx` exists (M7).
//!
//! ```ignore
//! #[ctx_aware]
//! async fn fetch(id: u64) -> Result<u64, AppError> {   // AppError: From<context::Error>
//!     let row = db.query(id).await?;                     // raced against ctx
//!     Ok(row)
//! }
//! // callers: fetch(&ctx, 7).await
//! ```
//!
//! Runnable examples are in the docs of the `context` crate, which
//! re-exports this attribute.
//!
//! # What it expands to
//!
//! ```ignore
//! #[ctx_aware]
//! async fn fetch(id: u64) -> Result<User, AppError> {
//!     let row = db.query(id).await?;
//!     Ok(row.into())
//! }
//! // becomes, in substance:
//! async fn fetch(ctx: &::context::Context, id: u64) -> Result<User, AppError> {
//!     let __context_ctx: &::context::Context = &ctx;   // hygienic: shadowing `ctx` is fine
//!     let row = match ::context::Context::run(__context_ctx, db.query(id)).await {
//!         Ok(v) => v,
//!         Err(e) => return ::context::__private::cancelled(e), // Err(AppError::from(e))
//!     }?;
//!     Ok(row.into())
//! }
//! ```
//!
//! Each raced await costs one atomic load over a plain `.await` when the
//! future is ready, and one registration when it suspends (see the crate's
//! benchmarks). Racing each await, rather than the whole body once, is what
//! lets `#[shield]` keep a cleanup step running after a cancel.
//!
//! # Where it applies
//!
//! - On an `async fn`: free, inherent method, trait method (with or without a
//!   default body), trait impl method. On an `impl` block or a `trait`: each
//!   `async fn` inside (M5). On an inline `mod`: every async fn, impl, trait,
//!   struct and enum inside.
//! - On a `struct` or `enum`: only the field check (M6).
//! - With `#[async_trait]`: put `#[ctx_aware]` above it (M11). Put it above
//!   `#[tracing::instrument]` too: below, `instrument` has already moved
//!   the body into an `async` block, and the error says so. Not on `main`
//!   or a test fn, which take no arguments.
//! - Elided lifetimes mean what they meant: `async fn first(s: &str) ->
//!   Option<&str>` still borrows from `s` once `ctx` is inserted.
//! - A first parameter named `ctx`, or typed as our `Context` (also under a
//!   rename), is the context; another crate's `Context` (`lambda::Context`)
//!   is a parameter like any other, and `ctx` is inserted before it.
//!
//! # Macro invocations
//!
//! A macro's tokens are opaque, so the macros users race in are taken by
//! their grammar:
//!
//! - `tokio::select!`, `futures::select!`, `futures::select_biased!`
//!   (written with their crate's path): the context's end is one more
//!   branch, first, returning early like a raced await. A select whose
//!   context already ended polls no branch. `else` still runs when every
//!   branch of yours is disabled. A `futures::select!` with a `complete`
//!   branch is not raced (the added branch would keep `complete` from
//!   running) and gets a warning.
//! - `join!` / `try_join!` (tokio's or futures'): raced whole, as one await.
//! - `assert!`, `assert_eq!`, `format!`, `println!`, `write!`, `vec!`,
//!   `panic!`, `dbg!` and the like: their arguments are expressions of the
//!   body, and their awaits are raced.
//! - Any other macro whose tokens hold `.await`, and a bare `select!`
//!   (tokio's or futures'?): a compiler warning at the macro saying it is
//!   not raced. Race it with `ctx.run(..)`, or put `#[shield]` on it to say
//!   it is meant.
//!
//! # What it leaves alone
//!
//! Awaits inside closures, `async` blocks and nested items, and
//! `ctx.done().await`. Test fns (`#[test]`, `#[tokio::test]`) and sync fns
//! returning a boxed future by hand inside an annotated `impl`, `trait` or
//! `mod`. `#[shield]` on a statement or expression keeps its awaits
//! un-raced, for cleanup that must finish (M4):
//!
//! ```ignore
//! #[ctx_aware]
//! async fn save() {
//!     #[shield]
//!     flush().await; // runs to the end even if ctx is cancelled
//! }
//! ```
//!
//! `#[ctx_aware(crate = path::to::context)]` names the runtime for crates
//! that re-export `context` under another path.

#[cfg(test)]
mod agree;
mod args;
mod elision;
mod errors;
mod fields;
mod item;
mod macros;
mod respan;
mod rewrite;
mod sig;
mod stacked;

use proc_macro::TokenStream;
use quote::quote;

/// `#[ctx_aware]`: the reference is on the `context` crate's re-export of
/// this attribute, whose examples run against `context`.
#[proc_macro_attribute]
pub fn ctx_aware(args: TokenStream, input: TokenStream) -> TokenStream {
    let args = match syn::parse::<args::Args>(args) {
        Ok(a) => a,
        Err(e) => {
            let mut out = proc_macro2::TokenStream::from(input);
            out.extend(e.to_compile_error());
            return out.into();
        }
    };
    let mut item: syn::Item = match syn::parse(input.clone()) {
        Ok(i) => i,
        Err(e) => {
            let mut out = proc_macro2::TokenStream::from(input);
            out.extend(e.to_compile_error());
            return out.into();
        }
    };
    let mut errs = errors::Errors::default();
    let mut names = context_rules::names::Names::default();
    names.add_uses_in(&item);
    let extra = item::expand(&mut item, &args.krate, &names, &mut errs);
    quote!(#item #extra #errs).into()
}
