use context::{ctx_aware, Context};

fn take(_: &Context) {}

#[ctx_aware]
async fn f() -> Option<()> {
    let (child, _) = ctx.with_cancel();
    let _ = child;
    let (other, _) = ctx.with_timeout(std::time::Duration::from_secs(1));
    let _ = other;
    // Every shape that drops the `CancelFunc` at once (issue 11, item 2).
    let born_cancelled = ctx.with_timeout(std::time::Duration::from_secs(1)).0;
    take(&born_cancelled);
    take(&ctx.with_cancel().0);
    let (rest, ..) = ctx.with_cancel();
    take(&rest);
    ctx.with_cancel();
    Some(())
}

fn main() {}
