#![deny(deprecated)]
use context::{ctx_aware, Context};

#[ctx_aware]
async fn f() -> Option<()> {
    let (child, _cancel) = Context::background().with_cancel();
    let _ = (ctx, child, Context::todo());
    Some(())
}

fn main() {}
