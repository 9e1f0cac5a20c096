use context::{ctx_aware, Context};

#[ctx_aware]
async fn f(id: u32, ctx: &Context) -> Option<u32> {
    let _ = ctx;
    Some(id)
}

fn main() {}
