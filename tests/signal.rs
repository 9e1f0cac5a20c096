//! `signal::notify_context` in its own test binary: a real SIGINT/SIGTERM is
//! sent to this process, which must survive it (the handler is installed
//! before `notify_context` returns) and see its context end with the
//! signal as the cause.
#![cfg(unix)]

use std::process::Command;
use std::time::Duration;

use context::signal::{notify_context, Signal, SignalReceived};
use context::{Context, Error};

const EVENTUALLY: Duration = Duration::from_secs(10);

fn send(sig: &str) {
    let pid = std::process::id().to_string();
    let ok = Command::new("kill")
        .args([sig, &pid])
        .status()
        .expect("run kill");
    assert!(ok.success());
}

// One test fn: signals are process-wide, so the cases run in sequence.
#[tokio::test(flavor = "current_thread")]
async fn signals_end_the_context_with_the_signal_as_cause() {
    // Registered before the call returns: the signal is sent before this
    // task yields even once, so the watcher task has not run yet.
    let (ctx, _stop) = notify_context(
        &Context::background(),
        &[Signal::Interrupt, Signal::Terminate],
    );
    send("-INT");
    tokio::time::timeout(EVENTUALLY, ctx.done())
        .await
        .expect("SIGINT did not end the context");
    assert_eq!(ctx.err(), Some(Error::Canceled));
    assert_eq!(
        ctx.cause().unwrap().downcast_ref::<SignalReceived>(),
        Some(&SignalReceived(Signal::Interrupt))
    );
    assert_eq!(ctx.cause().unwrap().to_string(), "received SIGINT");

    let (parent, cancel_parent) = Context::background().with_cancel();
    let (ctx, _stop) = notify_context(&parent, &[Signal::Terminate]);
    let made = line!() - 1;
    send("-TERM");
    tokio::time::timeout(EVENTUALLY, ctx.done())
        .await
        .expect("SIGTERM did not end the context");
    assert_eq!(ctx.cause().unwrap().to_string(), "received SIGTERM");
    // why() (issue 14): made at this file's line, ended by the signal.
    let why = ctx.why().unwrap();
    assert!(
        why.to_string()
            .starts_with("context canceled: received SIGTERM\n"),
        "{why}"
    );
    let origin = why.origin();
    assert_eq!((origin.site.file(), origin.site.line()), (file!(), made));
    assert!(why.links().iter().all(|l| l.site.line() == made), "{why}");
    assert!(
        !parent.is_done(),
        "the signal ends the child, not the parent"
    );
    drop(cancel_parent);

    // Stopping it by hand: no signal needed, the watcher goes away.
    let (ctx, stop) = notify_context(&Context::background(), &[Signal::Hangup]);
    stop.cancel();
    assert_eq!(
        ctx.cause().unwrap().downcast_ref::<Error>(),
        Some(&Error::Canceled)
    );
}
