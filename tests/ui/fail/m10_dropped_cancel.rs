use context::ctx_aware;

#[ctx_aware]
async fn f() -> Option<()> {
    let (child, _) = ctx.with_cancel();
    let _ = child;
    let (other, _) = ctx.with_timeout(std::time::Duration::from_secs(1));
    let _ = other;
    Some(())
}

fn main() {}
