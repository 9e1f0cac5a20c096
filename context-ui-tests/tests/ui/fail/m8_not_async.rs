use context::ctx_aware;

#[ctx_aware]
fn f() -> Option<()> {
    Some(())
}

fn main() {}
