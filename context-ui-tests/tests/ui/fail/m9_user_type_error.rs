use context::ctx_aware;

#[ctx_aware]
async fn f() -> Option<u32> {
    let n: u32 = async { "not a number" }.await;
    Some(n)
}

fn main() {}
