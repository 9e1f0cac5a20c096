//! Macro invocations in an annotated body (SPEC M3, second wave).
//!
//! A macro's tokens are opaque to the attribute, so each macro users race
//! in is taken by its grammar:
//!
//! - `tokio::select!`: the context's end becomes one more branch, first
//!   (so it wins ties under `biased;`), returning early through
//!   `CancelReturn`; each branch future is counted by a `SelectGuard` so
//!   that `else` still runs when the user's branches are all disabled.
//! - `futures::select!` / `select_biased!` (written with their crate's
//!   path, which names the `FutureExt` the added branch needs): the same
//!   branch, fused. One with a `complete` branch is not raced (the added
//!   branch would keep `complete` from ever running) and gets the warning.
//! - `join!` / `try_join!` (tokio's or futures'): the whole join is raced,
//!   as one await.
//! - `assert!`, `println!`, `format!`, `write!`, `vec!`, .. (arguments that
//!   are plain expressions, evaluated in the body): their awaits are raced
//!   like any other.
//! - Any other macro whose tokens hold `.await`: a warning at the macro,
//!   saying it is not raced and how to race it.
//!
//! In every raced select or join, the handlers run in the fn's body, so an
//! early `return` there is the fn's.

use proc_macro2::{Ident, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens};
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, Macro, Pat, Path, Token};

/// What the attribute does with one macro invocation.
pub enum Kind {
    /// `tokio::select!`.
    TokioSelect,
    /// `futures::select!` or `select_biased!`; the path of the crate that
    /// defines them (`futures`, `futures_util`).
    FuturesSelect(Path),
    /// `join!` / `try_join!`.
    Join,
    /// Arguments that are expressions: `assert!`, `println!`, ..
    Exprs,
    /// Holds an `.await` and is none of the above: warn.
    Opaque,
    /// `select!` / `select_biased!` without a crate path: warn.
    Ambiguous,
    /// Nothing to do.
    Plain,
}

/// The std macros whose arguments are comma-separated expressions
/// evaluated where the macro stands.
const EXPR_MACROS: &[&str] = &[
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "print",
    "println",
    "eprint",
    "eprintln",
    "format",
    "format_args",
    "write",
    "writeln",
    "panic",
    "todo",
    "unimplemented",
    "unreachable",
    "dbg",
    "vec",
];

pub fn classify(mac: &Macro) -> Kind {
    let segs: Vec<_> = mac
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    let Some(name) = segs.last().map(String::as_str) else {
        return Kind::Plain;
    };
    let krate = if segs.len() > 1 { segs[0].as_str() } else { "" };
    let futures = matches!(krate, "futures" | "futures_util");
    let kind = match (krate, name) {
        ("tokio", "select") => Kind::TokioSelect,
        ("", "select" | "select_biased") => Kind::Ambiguous,
        (_, "select" | "select_biased") if futures => {
            let mut prefix = mac.path.clone();
            prefix.segments.pop();
            prefix.segments.pop_punct();
            Kind::FuturesSelect(prefix)
        }
        ("" | "tokio", "join" | "try_join") => Kind::Join,
        (_, "join" | "try_join") if futures => Kind::Join,
        ("" | "std" | "core" | "alloc", n) if EXPR_MACROS.contains(&n) => Kind::Exprs,
        _ => Kind::Opaque,
    };
    match kind {
        Kind::Opaque | Kind::Exprs if !has_await(&mac.tokens) => Kind::Plain,
        k => k,
    }
}

/// Whether `tokens` hold `.await` at any depth.
pub fn has_await(tokens: &TokenStream) -> bool {
    let mut dot = false;
    for tt in tokens.clone() {
        match tt {
            TokenTree::Punct(p) => dot = p.as_char() == '.',
            TokenTree::Ident(i) if dot && i == "await" => return true,
            TokenTree::Group(g) => {
                if has_await(&g.stream()) {
                    return true;
                }
                dot = false;
            }
            _ => dot = false,
        }
    }
    false
}

/// One branch of a select: `pat = future (, if cond)? => handler`.
pub struct Branch {
    pub pat: Pat,
    pub future: Expr,
    pub cond: Option<Expr>,
    pub handler: Expr,
}

/// A select's parsed input.
pub struct Select {
    pub biased: bool,
    pub branches: Vec<Branch>,
    /// `else`, `complete` or `default`, with its handler.
    pub tails: Vec<(Ident, Expr)>,
}

impl Select {
    pub fn parse(tokens: TokenStream) -> syn::Result<Select> {
        Parser::parse2(parse_select, tokens)
    }

    pub fn has_tail(&self, name: &str) -> bool {
        self.tails.iter().any(|(i, _)| i == name)
    }
}

fn parse_select(input: ParseStream<'_>) -> syn::Result<Select> {
    let biased = input.peek(syn::Ident) && input.peek2(Token![;]) && {
        let fork = input.fork();
        fork.parse::<Ident>()? == "biased"
    };
    if biased {
        input.parse::<Ident>()?;
        input.parse::<Token![;]>()?;
    }
    let mut branches = Vec::new();
    let mut tails = Vec::new();
    while !input.is_empty() {
        if (input.peek(Token![else]) || input.peek(syn::Ident)) && input.peek2(Token![=>]) {
            let name = input.call(syn::ext::IdentExt::parse_any)?;
            input.parse::<Token![=>]>()?;
            tails.push((name, handler(input)?));
            continue;
        }
        let pat = Pat::parse_multi_with_leading_vert(input)?;
        input.parse::<Token![=]>()?;
        let future: Expr = input.parse()?;
        let cond = if input.peek(Token![,]) && input.peek2(Token![if]) {
            input.parse::<Token![,]>()?;
            input.parse::<Token![if]>()?;
            Some(input.parse()?)
        } else {
            None
        };
        input.parse::<Token![=>]>()?;
        branches.push(Branch {
            pat,
            future,
            cond,
            handler: handler(input)?,
        });
    }
    Ok(Select {
        biased,
        branches,
        tails,
    })
}

/// A handler: a block (comma optional) or an expression (comma unless last).
fn handler(input: ParseStream<'_>) -> syn::Result<Expr> {
    let expr = if input.peek(syn::token::Brace) {
        Expr::Block(syn::ExprBlock {
            attrs: Vec::new(),
            label: None,
            block: input.parse()?,
        })
    } else {
        let e: Expr = input.parse()?;
        if !input.is_empty() && !input.peek(Token![,]) {
            return Err(input.error("expected `,` after a select branch"));
        }
        e
    };
    if input.peek(Token![,]) {
        input.parse::<Token![,]>()?;
    }
    Ok(expr)
}

/// A macro's arguments as expressions, when they are.
pub fn parse_exprs(tokens: TokenStream) -> Option<Punctuated<Expr, Token![,]>> {
    Punctuated::<Expr, Token![,]>::parse_terminated
        .parse2(tokens)
        .ok()
}

/// Where a macro's diagnostics go: its name.
pub fn span(mac: &Macro) -> Span {
    mac.path.span()
}

/// The parts a raced select is written from.
pub struct Emit<'a> {
    /// The hygienic context alias.
    pub alias: &'a Ident,
    /// The runtime's path, spanned at the macro.
    pub run: TokenStream,
    /// `return cancelled(#err)`, and the `err` it names.
    pub early: TokenStream,
    pub err: &'a Ident,
}

impl Emit<'_> {
    fn parts(&self) -> (&Ident, &TokenStream, &TokenStream, &Ident) {
        (self.alias, &self.run, &self.early, self.err)
    }

    /// Returns early, without polling anything, when the context already
    /// ended (C14's bias, as in `ctx.run`).
    fn precheck(&self) -> TokenStream {
        let (alias, run, early, err) = self.parts();
        quote! {
            if let ::core::option::Option::Some(#err) = #run::Context::err(#alias) { #early }
        }
    }

    pub fn tokio_select(&self, mac: &Macro, sel: &Select) -> TokenStream {
        let (alias, run, early, err) = self.parts();
        let at = span(mac);
        let guard = Ident::new("__context_select", Span::mixed_site().located_at(at));
        let mut conds = Vec::new();
        let mut branches = Vec::new();
        for (i, b) in sel.branches.iter().enumerate() {
            let Branch {
                pat,
                future,
                cond,
                handler,
            } = b;
            let (enabled, guard_clause) = match cond {
                Some(c) => {
                    let name = Ident::new(&format!("__context_if{i}"), Span::mixed_site());
                    conds.push(quote!(let #name: bool = #c;));
                    (name.to_token_stream(), quote!(, if #name))
                }
                None => (quote!(true), TokenStream::new()),
            };
            branches.push(quote! {
                #pat = #run::__private::SelectGuard::track(&#guard, #future, #enabled) #guard_clause => #handler,
            });
        }
        let tails = sel.tails.iter().map(|(name, h)| quote!(#name => #h,));
        let biased = sel.biased.then(|| quote!(biased;));
        let n = sel.branches.len();
        let precheck = self.precheck();
        let path = &mac.path;
        quote_spanned! {at=>
            {
                #precheck
                #(#conds)*
                let #guard = #run::__private::SelectGuard::new(#n);
                #path! {
                    #biased
                    ::core::result::Result::Err(#err) = #run::__private::SelectGuard::ended(&#guard, #alias) => #early,
                    #(#branches)*
                    #(#tails)*
                }
            }
        }
    }

    pub fn futures_select(&self, mac: &Macro, krate: &Path, sel: &Select) -> TokenStream {
        let (alias, run, early, err) = self.parts();
        let branches = sel.branches.iter().map(|b| {
            let Branch {
                pat,
                future,
                handler,
                ..
            } = b;
            quote!(#pat = #future => #handler,)
        });
        let tails = sel.tails.iter().map(|(name, h)| quote!(#name => #h,));
        let precheck = self.precheck();
        let path = &mac.path;
        quote_spanned! {span(mac)=>
            {
                #precheck
                #path! {
                    _ = #krate::future::FutureExt::fuse(#run::Context::done(#alias)) => {
                        let #err = #run::__private::error_of(#alias);
                        #early
                    },
                    #(#branches)*
                    #(#tails)*
                }
            }
        }
    }
}
