//! The `tracing` feature (issue 14): one DEBUG event, target `context`, when
//! a context ends by itself, with what ended it, where it was made, its
//! age and deadline; `ContextLayer` records how a request's context ended
//! on the request's span. Captured with a subscriber written here.
#![cfg(all(feature = "tracing", not(loom)))]

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use context_core::Context;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

#[derive(Debug, Clone)]
struct Seen {
    target: String,
    level: Level,
    parent: Option<u64>,
    fields: HashMap<String, String>,
}

#[derive(Default)]
struct Log {
    events: Mutex<Vec<Seen>>,
    /// (span id, field, value) of every `record` on a span.
    records: Mutex<Vec<(u64, String, String)>>,
    next: AtomicU64,
    /// Every span's metadata, and the entered ones (for `Span::current()`).
    spans: Mutex<HashMap<u64, &'static Metadata<'static>>>,
    entered: Mutex<Vec<u64>>,
}

#[derive(Clone, Default)]
struct Capture(Arc<Log>);

struct Fields<'a>(&'a mut HashMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().to_string(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let id = self.0.next.fetch_add(1, Ordering::Relaxed) + 1;
        self.0.spans.lock().unwrap().insert(id, attrs.metadata());
        Id::from_u64(id)
    }
    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut f = HashMap::new();
        values.record(&mut Fields(&mut f));
        let mut r = self.0.records.lock().unwrap();
        r.extend(f.into_iter().map(|(k, v)| (span.into_u64(), k, v)));
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = HashMap::new();
        event.record(&mut Fields(&mut fields));
        self.0.events.lock().unwrap().push(Seen {
            target: event.metadata().target().to_string(),
            level: *event.metadata().level(),
            parent: event.parent().map(Id::into_u64),
            fields,
        });
    }
    fn enter(&self, span: &Id) {
        self.0.entered.lock().unwrap().push(span.into_u64());
    }
    fn exit(&self, _: &Id) {
        self.0.entered.lock().unwrap().pop();
    }
    fn current_span(&self) -> tracing_core::span::Current {
        match self.0.entered.lock().unwrap().last() {
            Some(&id) => tracing_core::span::Current::new(
                Id::from_u64(id),
                self.0.spans.lock().unwrap()[&id],
            ),
            None => tracing_core::span::Current::none(),
        }
    }
}

impl Capture {
    fn events(&self) -> Vec<Seen> {
        self.0.events.lock().unwrap().clone()
    }
}

#[test]
fn c3_one_event_for_the_context_that_ended_none_for_its_descendants() {
    let log = Capture::default();
    let line = tracing::subscriber::with_default(log.clone(), || {
        let line = line!() + 1;
        let (root, cancel) = Context::background().with_cancel();
        let (_child, _k) = root.with_timeout(Duration::from_secs(60));
        let called = line!() + 1;
        cancel.cancel();
        (line, called)
    });
    let ended: Vec<Seen> = log
        .events()
        .into_iter()
        .filter(|e| e.target == "context")
        .collect();
    assert_eq!(ended.len(), 1, "{ended:?}");
    let e = &ended[0];
    assert_eq!(e.level, Level::DEBUG);
    assert_eq!(e.fields["message"], "context ended");
    assert!(
        e.fields["site"].starts_with(&format!("{}:{}:", file!(), line.0)),
        "{e:?}"
    );
    assert_eq!(e.fields["constructor"], "with_cancel");
    assert!(
        e.fields["reason"].starts_with(&format!("cancelled at {}:{}:", file!(), line.1)),
        "{e:?}"
    );
    assert!(
        e.fields.contains_key("age") && e.fields["deadline"] == "None",
        "{e:?}"
    );
}

#[test]
fn c7_a_deadline_and_a_dropped_cancel_func_say_so() {
    let log = Capture::default();
    tracing::subscriber::with_default(log.clone(), || {
        let (ctx, _k) = Context::background().with_timeout(Duration::ZERO); // born expired
        assert!(ctx.is_done());
        let (_c, k) = Context::background().with_cancel();
        drop(k);
    });
    let reasons: Vec<String> = log
        .events()
        .into_iter()
        .map(|e| e.fields["reason"].clone())
        .collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(
        reasons[0].starts_with(&format!("the deadline set at {}:", file!())),
        "{reasons:?}"
    );
    assert_eq!(reasons[1], "its CancelFunc was dropped");
}

#[test]
fn nothing_is_emitted_while_a_context_lives() {
    let log = Capture::default();
    tracing::subscriber::with_default(log.clone(), || {
        let (ctx, _k) = Context::background().with_cancel();
        let _ = (ctx.is_done(), ctx.err(), ctx.with_value(1u8));
        std::mem::forget(_k); // never ends within the subscriber's scope
    });
    assert!(log.events().is_empty(), "{:?}", log.events());
}

#[cfg(feature = "http")]
#[test]
fn context_layer_records_the_requests_end_on_its_span() {
    use std::convert::Infallible;
    use std::future::{ready, Future, Pending, Ready};
    use std::pin::pin;
    use std::task::{Context as TaskCx, Poll, Waker};

    use context_core::http::ContextLayer;
    use tower_layer::Layer;
    use tower_service::Service;

    #[derive(Clone)]
    struct Never;
    impl Service<http::Request<()>> for Never {
        type Response = http::Response<String>;
        type Error = Infallible;
        type Future = Pending<Result<http::Response<String>, Infallible>>;
        fn poll_ready(&mut self, _: &mut TaskCx<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Ready(Ok(()))
        }
        fn call(&mut self, _: http::Request<()>) -> Self::Future {
            std::future::pending()
        }
    }
    #[derive(Clone)]
    struct Answer;
    impl Service<http::Request<()>> for Answer {
        type Response = http::Response<String>;
        type Error = Infallible;
        type Future = Ready<Result<http::Response<String>, Infallible>>;
        fn poll_ready(&mut self, _: &mut TaskCx<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Ready(Ok(()))
        }
        fn call(&mut self, _: http::Request<()>) -> Self::Future {
            ready(Ok(http::Response::new("ok".to_string())))
        }
    }

    let log = Capture::default();
    let (hung_up, answered) = tracing::subscriber::with_default(log.clone(), || {
        let layer = ContextLayer::new(Context::background());
        // A client that goes away: hyper drops the response future.
        let span = tracing::info_span!("request", context.end = tracing::field::Empty);
        let fut = span.in_scope(|| layer.layer(Never).call(http::Request::new(())));
        drop(fut);
        let hung_up = span.id().unwrap().into_u64();
        // A request answered in full: its body is sent, then dropped.
        let span = tracing::info_span!("request", context.end = tracing::field::Empty);
        let fut = span.in_scope(|| layer.layer(Answer).call(http::Request::new(())));
        let resp = match pin!(fut).poll(&mut TaskCx::from_waker(Waker::noop())) {
            Poll::Ready(r) => r.unwrap(),
            Poll::Pending => panic!("the answer is ready"),
        };
        let mut body = pin!(resp.into_body());
        while let Poll::Ready(Some(_)) =
            http_body::Body::poll_frame(body.as_mut(), &mut TaskCx::from_waker(Waker::noop()))
        {
        }
        (hung_up, span.id().unwrap().into_u64())
    });
    let records = log.0.records.lock().unwrap().clone();
    let end_of = |id: u64| {
        records
            .iter()
            .find(|(s, f, _)| *s == id && f == "context.end")
            .map(|(_, _, v)| v.clone())
            .unwrap_or_else(|| panic!("no context.end on span {id}: {records:?}"))
    };
    assert!(
        end_of(hung_up).contains("the client went away"),
        "{records:?}"
    );
    assert_eq!(end_of(answered), "the response was sent");
    let in_span: Vec<Seen> = log
        .events()
        .into_iter()
        .filter(|e| {
            e.fields
                .get("message")
                .is_some_and(|m| m == "request context ended")
        })
        .collect();
    assert_eq!(in_span.len(), 2, "{in_span:?}");
    assert_eq!(in_span[0].parent, Some(hung_up));
}
