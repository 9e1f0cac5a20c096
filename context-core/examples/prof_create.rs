use context_core::Context;
fn main() {
    let (parent, _k) = Context::background().with_cancel();
    for _ in 0..20_000_000u32 {
        let (ctx, cancel) = std::hint::black_box(&parent).with_cancel();
        cancel.cancel();
        drop((ctx, cancel));
    }
}
