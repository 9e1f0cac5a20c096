//! Shutdown on signals (feature `signal`): Go's `signal.NotifyContext`.
//!
//! A service usually wants two contexts: one that ends on the signal (stop
//! accepting, start draining) and the base of every request, cancelled a
//! grace period later (stop what is still running):
//!
//! ```no_run
//! # #[tokio::main] async fn main() {
//! use std::time::Duration;
//! use context::{signal::{notify_context, Signal}, Context};
//!
//! let (requests, stop_requests) = Context::background().with_cancel();
//! let (shutdown, _stop) = notify_context(&Context::background(), &[Signal::Interrupt, Signal::Terminate]);
//! // serve with `requests` as ContextLayer's base, graceful shutdown on `shutdown.done()` ...
//! shutdown.done().await;
//! tokio::time::sleep(Duration::from_secs(10)).await; // grace period
//! stop_requests.cancel(); // in-flight requests end with `Canceled`
//! # }
//! ```

use std::fmt;
use std::future::Future;

use crate::{CancelFunc, Context};

/// A signal that can end a context.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Signal {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM (what service managers send).
    Terminate,
    /// SIGHUP (Unix only).
    Hangup,
    /// SIGQUIT (Unix only).
    Quit,
}

impl Signal {
    /// The signal's conventional name, such as `SIGINT`.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
            Signal::Hangup => "SIGHUP",
            Signal::Quit => "SIGQUIT",
        }
    }
}

/// The cause of a context ended by [`notify_context`]: which signal came.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignalReceived(pub Signal);

impl fmt::Display for SignalReceived {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "received {}", self.0.name())
    }
}

impl std::error::Error for SignalReceived {}

/// The cause of a context from [`notify_context`] that could not watch a
/// signal (the OS refused the handler): it is done at once, rather than
/// silently never ending.
#[derive(Debug)]
pub struct CannotWatch(pub Signal, pub std::io::Error);

impl fmt::Display for CannotWatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot watch {}: {}", self.0.name(), self.1)
    }
}

impl std::error::Error for CannotWatch {}

/// A child of `parent` that is cancelled when one of `signals` arrives, with
/// [`SignalReceived`] as its cause (Go's `signal.NotifyContext`). The
/// handlers are installed before this returns, so a signal that comes right
/// after is caught, not fatal. Dropping or calling the `CancelFunc` stops
/// watching. Once installed, the process keeps handling these signals
/// (as Go and tokio do): a second Ctrl-C no longer kills it.
///
/// Must be called within a tokio runtime (like `tokio::spawn`).
#[cfg_attr(feature = "inspect", track_caller)]
pub fn notify_context(parent: &Context, signals: &[Signal]) -> (Context, CancelFunc) {
    // Two levels, through the public API alone: the watcher holds the
    // upper `CancelFunc` and cancels it with the signal, which the returned
    // child reports as its cause (C2); the caller's `CancelFunc` ends the
    // child, which ends the watcher, which drops the upper one.
    let (watched, watcher) = parent.with_cancel();
    let (ctx, cancel) = watched.with_cancel();
    let mut streams = Vec::new();
    for &s in signals {
        match imp::listen(s) {
            Ok(stream) => streams.push((s, stream)),
            Err(e) => {
                watcher.cancel_with_cause(CannotWatch(s, e));
                return (ctx, cancel);
            }
        }
    }
    let mut done = ctx.done_owned();
    tokio::spawn(async move {
        // Biased: once the context is done (cancelled by its owner or its
        // parent), stop watching; otherwise the first signal ends it.
        let got = std::future::poll_fn(|cx| {
            if std::pin::Pin::new(&mut done).poll(cx).is_ready() {
                return std::task::Poll::Ready(None);
            }
            for (s, stream) in &mut streams {
                if imp::poll_recv(stream, cx).is_ready() {
                    return std::task::Poll::Ready(Some(*s));
                }
            }
            std::task::Poll::Pending
        })
        .await;
        if let Some(s) = got {
            watcher.cancel_with_cause(SignalReceived(s));
        }
    });
    (ctx, cancel)
}

#[cfg(unix)]
mod imp {
    use std::task::{Context, Poll};

    use tokio::signal::unix::{signal, SignalKind};

    use super::Signal;

    pub(super) type Stream = tokio::signal::unix::Signal;

    pub(super) fn listen(s: Signal) -> std::io::Result<Stream> {
        signal(match s {
            Signal::Interrupt => SignalKind::interrupt(),
            Signal::Terminate => SignalKind::terminate(),
            Signal::Hangup => SignalKind::hangup(),
            Signal::Quit => SignalKind::quit(),
        })
    }

    pub(super) fn poll_recv(s: &mut Stream, cx: &mut Context<'_>) -> Poll<Option<()>> {
        s.poll_recv(cx)
    }
}

#[cfg(windows)]
mod imp {
    use std::task::{Context, Poll};

    use tokio::signal::windows;

    use super::Signal;

    pub(super) enum Stream {
        CtrlC(windows::CtrlC),
        Close(windows::CtrlClose),
    }

    pub(super) fn listen(s: Signal) -> std::io::Result<Stream> {
        match s {
            Signal::Interrupt => windows::ctrl_c().map(Stream::CtrlC),
            Signal::Terminate | Signal::Hangup | Signal::Quit => {
                windows::ctrl_close().map(Stream::Close)
            }
        }
    }

    pub(super) fn poll_recv(s: &mut Stream, cx: &mut Context<'_>) -> Poll<Option<()>> {
        match s {
            Stream::CtrlC(c) => c.poll_recv(cx),
            Stream::Close(c) => c.poll_recv(cx),
        }
    }
}
