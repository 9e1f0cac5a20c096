use context::Context;

#[context::ctx_aware]
struct Handler {
    name: String,
    ctx: Context,
}

#[context::ctx_aware]
enum Job {
    Idle,
    Running(std::sync::Arc<Context>, u32),
}

fn main() {}
