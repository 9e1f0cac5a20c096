#[context::ctx_aware]
const X: u8 = 1;

#[context::ctx_aware(timeout = 3)]
async fn f() {}

fn main() {}
