//! Request-scoped values the Go way: a package owns a private key type and
//! exposes `new_context` / `from_context`, so no other code can read or
//! overwrite its value by accident (Go's `user.NewContext`/`user.FromContext`).
//!
//! Run it with `cargo run --example values`.

mod user {
    use context::Context;

    /// The value other code sees.
    #[derive(Clone, Debug, PartialEq)]
    pub struct User {
        pub name: String,
        pub admin: bool,
    }

    /// The key: private to this module, so only `new_context` can store a
    /// `User` under it and only `from_context` can read it.
    struct Key(User);

    /// A child of `ctx` carrying `u`.
    pub fn new_context(ctx: &Context, u: User) -> Context {
        ctx.with_value(Key(u))
    }

    /// The `User` stored in `ctx`, if any.
    pub fn from_context(ctx: &Context) -> Option<&User> {
        ctx.value::<Key>().map(|k| &k.0)
    }
}

mod audit {
    use context::Context;

    /// Another package's value: its own private key type, no collisions.
    struct RequestId(u64);

    pub fn new_context(ctx: &Context, id: u64) -> Context {
        ctx.with_value(RequestId(id))
    }

    pub fn request_id(ctx: &Context) -> Option<u64> {
        ctx.value::<RequestId>().map(|r| r.0)
    }
}

use context::Context;

fn handle(ctx: &Context) -> String {
    match user::from_context(ctx) {
        Some(u) if u.admin => format!(
            "request {:?}: welcome back, admin {}",
            audit::request_id(ctx),
            u.name
        ),
        Some(u) => format!("request {:?}: hello, {}", audit::request_id(ctx), u.name),
        None => "anonymous request".to_string(),
    }
}

fn main() {
    let root = Context::background();
    println!("{}", handle(&root));

    let ctx = audit::new_context(&root, 17);
    let ctx = user::new_context(
        &ctx,
        user::User {
            name: "ana".into(),
            admin: false,
        },
    );
    println!("{}", handle(&ctx));

    // Values pass through cancelable contexts, and a child can shadow one.
    let (child, _cancel) = ctx.with_cancel();
    let child = user::new_context(
        &child,
        user::User {
            name: "root".into(),
            admin: true,
        },
    );
    println!("{}", handle(&child));
    println!("{}", handle(&ctx)); // the parent is unchanged
    println!("debug view, no values printed: {child:?}");
}
