use context_core::Context;
use std::hint::black_box;
fn main() {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let (ctx, _k) = Context::background().with_cancel();
    let plain = std::env::args().nth(1).is_some();
    rt.block_on(async {
        let t = std::time::Instant::now();
        for _ in 0..500_000_000u64 {
            if plain {
                black_box(std::future::ready(black_box(1)).await);
            } else {
                black_box(ctx.run(std::future::ready(black_box(1))).await.unwrap());
            }
        }
        println!("{:?}", t.elapsed() / 500_000_000);
    });
}
