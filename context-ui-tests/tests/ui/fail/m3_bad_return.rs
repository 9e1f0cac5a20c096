use context::ctx_aware;

#[ctx_aware]
async fn f() -> u32 {
    async { 1 }.await;
    async { 2 }.await
}

fn main() {}
