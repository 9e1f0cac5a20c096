//! The fixtures of the agreement test (`context-macros`' `agree` module):
//! each line with an "expect" comment naming a check must be flagged by both the
//! macro and the lint, and nothing else. Compiled here too, so that the
//! fixtures stay valid Rust against a stand-in `Context`.
#![allow(
    dead_code,
    unused_variables,
    clippy::let_underscore_future,
    clippy::unnecessary_operation
)]

use std::time::Duration;

use ctx_stub::Context;
use ctx_stub::Context as Ctx;

mod ctx_stub {
    pub struct CancelFunc;
    #[derive(Clone)]
    pub struct Context;
    impl Context {
        pub fn background() -> Context {
            Context
        }
        pub fn todo() -> Context {
            Context
        }
        pub fn with_cancel(&self) -> (Context, CancelFunc) {
            (Context, CancelFunc)
        }
        pub fn with_timeout(&self, _: std::time::Duration) -> (Context, CancelFunc) {
            (Context, CancelFunc)
        }
        pub fn with_deadline(&self, _: std::time::Instant) -> (Context, CancelFunc) {
            (Context, CancelFunc)
        }
    }
}

fn take(_: &Context) {}

async fn shapes(ctx: &Context) {
    let (a, _) = ctx.with_cancel(); // expect: dropped-cancel
    let _ = ctx.with_timeout(Duration::from_secs(1)); // expect: dropped-cancel
    ctx.with_cancel(); // expect: dropped-cancel
    ctx.with_cancel().1; // expect: dropped-cancel
    let b = ctx.with_timeout(Duration::from_secs(1)).0; // expect: dropped-cancel
    take(&ctx.with_cancel().0); // expect: dropped-cancel
    let (c, ..) = ctx.with_cancel(); // expect: dropped-cancel
    let (..) = ctx.with_deadline(std::time::Instant::now()); // expect: dropped-cancel
    let _ = ctx.with_cancel().1; // expect: dropped-cancel
    let (d, _cancel) = ctx.with_cancel();
    let (e, _k): (Context, _) = ctx.with_cancel();
    let keep = ctx.with_cancel().1;
    let pair = ctx.with_cancel();
    take(&pair.0);
}

async fn roots(ctx: &Context) {
    let a = Context::background(); // expect: fresh-root
    let b = Ctx::todo(); // expect: fresh-root
    let c = ctx_stub::Context::background(); // expect: fresh-root
    let d = std::task::Context::from_waker; // not a call of ours
}

mod lambda {
    pub struct Context;
}

async fn late(
    id: u32,
    c: &Context, // expect: ctx-not-first
) -> u32 {
    let _ = c;
    id
}

async fn theirs(ctx: &Context, event: String, l: lambda::Context) -> String {
    let _ = (ctx, l);
    event
}

#[test]
fn the_fixtures_compile() {}
