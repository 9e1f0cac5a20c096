//! `#[allow(deprecated)]` on the fn silences M7's warning.
#![deny(deprecated)]
use context::{ctx_aware, Context};

#[ctx_aware]
#[allow(deprecated)]
async fn f() -> Option<()> {
    let _root = Context::background();
    Some(())
}

fn main() {
    let _ = f;
}
