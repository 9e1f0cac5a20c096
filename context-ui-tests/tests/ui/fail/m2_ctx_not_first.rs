use context::{ctx_aware, Context};

#[ctx_aware]
async fn f(id: u32, ctx: &Context) -> Option<u32> {
    let _ = ctx;
    Some(id)
}

// Ours under another name is still ours (issue 11, item 5).
mod renamed {
    use context::Context as Ctx;
    type Shared = context::Context;

    #[context::ctx_aware]
    async fn g(id: u32, c: &Ctx, s: Shared) -> Option<u32> {
        let _ = (c, s);
        Some(id)
    }
}

fn main() {}
