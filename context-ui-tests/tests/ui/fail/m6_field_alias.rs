use context::Context as Ctx;

type Shared = std::sync::Arc<context::Context>;

#[context::ctx_aware]
struct Renamed {
    ctx: Option<Ctx>,
}

#[context::ctx_aware]
struct Aliased {
    shared: Shared,
}

fn main() {}
