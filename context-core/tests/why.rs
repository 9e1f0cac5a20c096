//! `Context::why()` (feature `inspect`, issue 14): each way a context ends
//! gives its report, naming the lines of this file that made and ended it.
//! C4 and C11 hold alongside: `err()` and `cause()` say what they always said.
#![cfg(all(feature = "inspect", not(loom)))]

use std::panic::Location;
use std::time::Duration;

use context_core::inspect::{Link, Reason};
use context_core::{Context, Error};

/// The line of the caller (`#[track_caller]`): where a test made something.
/// Used as `(here(), ctx.with_cancel())` on one line (kept short enough
/// that rustfmt does not split it).
#[track_caller]
fn here() -> &'static Location<'static> {
    Location::caller()
}

fn at(l: &Location<'_>) -> String {
    format!("{}:{}:", l.file(), l.line())
}

#[test]
fn c4_a_cancel_call_names_the_line_of_the_call_and_of_the_constructor() {
    let (made, (ctx, cancel)) = (here(), Context::background().with_cancel());
    assert!(ctx.why().is_none(), "a live context has no report");
    let (called, ()) = (here(), cancel.cancel());

    let why = ctx.why().unwrap();
    assert_eq!(why.error(), Error::Canceled);
    assert_eq!(why.links().len(), 1);
    let origin = why.origin();
    assert_eq!(
        (origin.site.file(), origin.site.line()),
        (file!(), made.line())
    );
    assert_eq!(origin.constructor, "with_cancel");
    assert!(
        matches!(origin.reason, Reason::Called { at } if at.line() == called.line() && at.file() == file!())
    );
    let text = why.to_string();
    assert!(text.starts_with("context canceled\n"), "{text}");
    assert!(
        text.contains(&format!("made by `with_cancel` at {}", at(made))),
        "{text}"
    );
    assert!(
        text.contains(&format!("cancelled at {}", at(called))),
        "{text}"
    );
    // err() and cause() are Go's, untouched by the report.
    assert_eq!(ctx.err(), Some(Error::Canceled));
    assert_eq!(ctx.cause().unwrap().to_string(), "context canceled");
}

#[test]
fn c5_a_dropped_cancel_func_is_told_apart_from_a_call() {
    let (made, (ctx, cancel)) = (here(), Context::background().with_value(1u8).with_cancel());
    drop(cancel);
    let why = ctx.with_value(2u8).why().unwrap();
    assert_eq!(why.origin().reason, Reason::Dropped);
    assert_eq!(why.origin().site.line(), made.line());
    let text = why.to_string();
    assert!(text.contains(&at(made)), "{text}");
    assert!(text.contains("its CancelFunc was dropped"), "{text}");
}

#[test]
fn c11_cancel_with_cause_reports_the_cause_and_the_line() {
    let (ctx, cancel) = Context::background().with_cancel();
    let gone = std::io::Error::other("disk gone");
    let (called, ()) = (here(), cancel.cancel_with_cause(gone));
    let why = ctx.why().unwrap();
    assert!(matches!(why.origin().reason, Reason::Called { at } if at.line() == called.line()));
    assert_eq!(why.cause().unwrap().to_string(), "disk gone");
    assert!(
        why.to_string().starts_with("context canceled: disk gone\n"),
        "{why}"
    );
}

#[test]
fn c7_a_deadline_names_the_line_that_set_it_and_how_long_ago_it_passed() {
    let ms5 = Duration::from_millis(5);
    let (made, (ctx, _cancel)) = (here(), Context::background().with_timeout(ms5));
    futures_executor::block_on(ctx.done());
    let why = ctx.why().unwrap();
    assert_eq!(why.error(), Error::DeadlineExceeded);
    let origin = *why.origin();
    assert_eq!(origin.constructor, "with_timeout");
    match origin.reason {
        Reason::Deadline {
            set_at,
            ago,
            inherited,
        } => {
            assert_eq!(set_at.line(), made.line());
            assert!(!inherited);
            assert!(ago < Duration::from_secs(60), "{ago:?}");
        }
        other => panic!("{other:?}"),
    }
    assert!(why.to_string().contains("its deadline passed"), "{why}");
}

#[test]
fn c2_a_context_ended_by_its_parent_points_up_the_chain_to_the_origin() {
    let (bg, unused) = (Context::background(), std::io::Error::other("unused"));
    let far = std::time::Instant::now() + Duration::from_secs(3600);
    let (top, (root, cancel)) = (here(), bg.with_deadline_cause(far, unused));
    let (mid, (a, _ka)) = (here(), root.with_value("v").with_cancel());
    let (leaf, (b, _kb)) = (here(), a.with_timeout(Duration::from_secs(60)));
    let (called, ()) = (here(), cancel.cancel());

    let why = b.why().unwrap();
    let lines: Vec<(u32, &str, bool)> = why
        .links()
        .iter()
        .map(|l: &Link| (l.site.line(), l.constructor, l.reason == Reason::Parent))
        .collect();
    assert_eq!(
        lines,
        [
            (leaf.line(), "with_timeout", true),
            (mid.line(), "with_cancel", true),
            (top.line(), "with_deadline", false)
        ]
    );
    assert!(matches!(why.origin().reason, Reason::Called { at } if at.line() == called.line()));
    let text = why.to_string();
    assert_eq!(text.lines().count(), 4, "{text}");
    assert!(
        text.lines().nth(1).unwrap().ends_with("its parent ended"),
        "{text}"
    );
}

#[test]
fn c2_a_deadline_inherited_from_a_parent_is_the_parents_line() {
    let ms5 = Duration::from_millis(5);
    let (made, (parent, _k)) = (here(), Context::background().with_timeout(ms5));
    // A later deadline than the parent's: the child's is the parent's (C7).
    let (child, _kc) = parent.with_timeout(Duration::from_secs(60));
    futures_executor::block_on(child.done());
    let why = child.why().unwrap();
    assert_eq!(why.error(), Error::DeadlineExceeded);
    match why.origin().reason {
        Reason::Deadline { set_at, .. } => assert_eq!(set_at.line(), made.line()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_million_deep_chain_gives_a_short_report_without_overflowing() {
    let run = || {
        let (root, cancel) = Context::background().with_cancel();
        let mut ctx = root;
        let mut keep = Vec::new();
        for _ in 0..1_000_000 {
            let (c, k) = ctx.with_cancel();
            keep.push(k);
            ctx = c;
        }
        cancel.cancel();
        let why = ctx.why().unwrap();
        assert_eq!(why.links().len(), 1_000_001);
        let text = why.to_string();
        assert!(text.lines().count() < 20, "{} lines", text.lines().count());
        assert!(text.contains("more contexts, each ended by its parent"));
        drop(ctx);
        drop(keep);
    };
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(run)
        .unwrap()
        .join()
        .unwrap();
}

#[cfg(feature = "http")]
#[test]
fn a_client_hang_up_through_context_layer_names_the_layer_and_the_cause() {
    use std::convert::Infallible;
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::{Arc, Mutex};
    use std::task::{Context as TaskCx, Poll, Waker};

    use context_core::http::{ContextLayer, Disconnected};
    use tower_layer::Layer;
    use tower_service::Service;

    /// Derives a context of its own from the request's (its `CancelFunc`
    /// lives in the handler's future), keeps it, and never answers.
    // The test hands the handler's context out through this slot.
    // ctx-lint: allow(ctx-in-struct)
    #[derive(Clone)]
    struct Hold(Arc<Mutex<Option<Context>>>);
    type Fut = Pin<Box<dyn Future<Output = Result<http::Response<String>, Infallible>> + Send>>;
    impl Service<http::Request<()>> for Hold {
        type Response = http::Response<String>;
        type Error = Infallible;
        type Future = Fut;
        fn poll_ready(&mut self, _: &mut TaskCx<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Ready(Ok(()))
        }
        fn call(&mut self, req: http::Request<()>) -> Fut {
            let slot = self.0.clone();
            let ctx = req.extensions().get::<Context>().cloned().unwrap();
            Box::pin(async move {
                let (mine, _cancel) = ctx.with_cancel();
                *slot.lock().unwrap() = Some(mine);
                std::future::pending().await
            })
        }
    }

    let slot = Arc::new(Mutex::new(None));
    let (made, layer) = (here(), ContextLayer::new(Context::background()));
    let mut svc = layer.layer(Hold(slot.clone()));
    let mut pending = Box::pin(svc.call(http::Request::new(())));
    assert!(pending
        .as_mut()
        .poll(&mut TaskCx::from_waker(Waker::noop()))
        .is_pending());
    let ctx = slot
        .lock()
        .unwrap()
        .take()
        .expect("the handler made its context");
    drop(pending); // what hyper does when the client goes away

    // The hang-up ended the request's context before the handler (and the
    // `CancelFunc` in it) was dropped: the handler's context ended by its
    // parent, with the hang-up as the cause, not by its own drop.
    let why = ctx.why().unwrap();
    assert_eq!(why.links().len(), 2, "{why}");
    assert_eq!(why.links()[0].reason, Reason::Parent, "{why}");
    let origin = why.origin();
    assert_eq!(
        (origin.site.file(), origin.site.line()),
        (file!(), made.line())
    );
    assert!(matches!(origin.reason, Reason::Called { .. }));
    assert!(why
        .cause()
        .unwrap()
        .downcast_ref::<Disconnected>()
        .is_some());
    assert!(ctx
        .cause()
        .unwrap()
        .downcast_ref::<Disconnected>()
        .is_some());
    assert!(why.to_string().contains("the client went away"), "{why}");
}
