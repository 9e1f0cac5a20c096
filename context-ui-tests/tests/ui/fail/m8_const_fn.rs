use context::ctx_aware;

#[ctx_aware]
const fn f() -> u8 {
    1
}

fn main() {}
