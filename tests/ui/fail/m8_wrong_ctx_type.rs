use context::ctx_aware;

#[ctx_aware]
async fn f(ctx: u32) -> Option<u32> {
    Some(ctx)
}

fn main() {}
