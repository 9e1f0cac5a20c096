//! The facade re-exports the whole core API under `context::`.

use std::time::Duration;

use context::{AfterFunc, CancelFunc, Cause, Context, Done, Error, Run};

#[tokio::test]
async fn c2_c14_the_facade_exports_the_tree() {
    let (ctx, cancel): (Context, CancelFunc) = Context::background().with_cancel();
    let (child, _k) = ctx.with_timeout(Duration::from_secs(60));
    let _f: AfterFunc = child.after_func(|| {});
    {
        let _d: Done<'_> = child.done();
        let _r: Run<'_, _> = child.run(async {});
    }
    assert_eq!(child.run(async { 5 }).await, Ok(5));
    cancel.cancel();
    let e: Error = child.err().unwrap();
    assert_eq!(e, Error::Canceled);
    let c: Cause = child.cause().unwrap();
    assert_eq!(c.to_string(), "context canceled");
    assert_eq!(child.run(async { 5 }).await, Err(Error::Canceled));
}

#[test]
fn context_is_clone_send_sync_static_debug() {
    fn check<T: Clone + Send + Sync + 'static + std::fmt::Debug>() {}
    fn send_sync<T: Send + Sync>() {}
    check::<Context>();
    send_sync::<CancelFunc>();
    send_sync::<AfterFunc>();
    send_sync::<Done<'static>>();
    fn error_traits<T: Copy + Eq + std::hash::Hash + std::fmt::Debug + std::error::Error>() {}
    error_traits::<Error>();
}
