use context::ctx_aware;

#[ctx_aware]
async fn f(ctx: u32) -> Option<u32> {
    Some(ctx)
}

// serenity-style: another crate's `Context`, imported as `Context` and
// named `ctx` (issue 11, item 5): the error is at its type.
mod theirs {
    pub struct Context;

    #[context::ctx_aware]
    async fn handler(ctx: Context, msg: String) -> Option<String> {
        let _ = ctx;
        Some(msg)
    }
}

fn main() {}
