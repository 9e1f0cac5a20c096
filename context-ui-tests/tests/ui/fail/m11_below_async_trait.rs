use context::ctx_aware;

#[async_trait::async_trait]
trait Store {
    async fn get(&self) -> Option<u8>;
}

struct S;

#[async_trait::async_trait]
#[ctx_aware]
impl Store for S {
    async fn get(&self) -> Option<u8> {
        Some(1)
    }
}

fn main() {}
