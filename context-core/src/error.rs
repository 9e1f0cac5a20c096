//! `Error` (Go's `Canceled` / `DeadlineExceeded`) and `Cause`.

use std::fmt;
use std::sync::{Arc, OnceLock};

/// Why a context is done: what [`Context::err`](crate::Context::err) returns.
///
/// The `Display` strings are Go's, word for word.
///
/// ```
/// use context::{Context, Error};
///
/// let (ctx, cancel) = Context::background().with_cancel();
/// cancel.cancel();
/// assert_eq!(ctx.err(), Some(Error::Canceled));
/// assert_eq!(Error::Canceled.to_string(), "context canceled");
/// assert_eq!(Error::DeadlineExceeded.to_string(), "context deadline exceeded");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Error {
    /// The context was cancelled: its `CancelFunc` was called or dropped, or
    /// an ancestor's was.
    Canceled,
    /// The context's deadline (or an ancestor's) passed.
    DeadlineExceeded,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::Canceled => "context canceled",
            Error::DeadlineExceeded => "context deadline exceeded",
        })
    }
}

impl std::error::Error for Error {}

impl From<Error> for std::io::Error {
    /// `DeadlineExceeded` becomes `ErrorKind::TimedOut`; `Canceled` becomes
    /// `ErrorKind::Other` (not `Interrupted`, which std's read loops retry).
    /// The `Error` stays inside: `get_ref()` and `downcast` reach it.
    ///
    /// ```
    /// use std::io;
    /// let e: io::Error = context::Error::DeadlineExceeded.into();
    /// assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    /// assert_eq!(e.downcast::<context::Error>().unwrap(), context::Error::DeadlineExceeded);
    /// ```
    fn from(e: Error) -> Self {
        let kind = match e {
            Error::Canceled => std::io::ErrorKind::Other,
            Error::DeadlineExceeded => std::io::ErrorKind::TimedOut,
        };
        std::io::Error::new(kind, e)
    }
}

/// The reason a context ended, as given to
/// [`CancelFunc::cancel_with_cause`](crate::CancelFunc::cancel_with_cause) or
/// [`Context::with_deadline_cause`](crate::Context::with_deadline_cause); the
/// context's [`Error`] itself when none was given. Downcast it to get your
/// type back:
///
/// ```
/// #[derive(Debug)]
/// struct ClientGone;
/// impl std::fmt::Display for ClientGone {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str("client gone") }
/// }
/// impl std::error::Error for ClientGone {}
///
/// let (ctx, cancel) = context::Context::background().with_cancel();
/// cancel.cancel_with_cause(ClientGone);
/// assert!(ctx.cause().unwrap().downcast_ref::<ClientGone>().is_some());
/// ```
pub type Cause = Arc<dyn std::error::Error + Send + Sync + 'static>;

impl Error {
    /// This error as a `Cause`, shared: asking for a cause allocates nothing.
    pub(crate) fn to_cause(self) -> Cause {
        static CANCELED: OnceLock<Cause> = OnceLock::new();
        static EXPIRED: OnceLock<Cause> = OnceLock::new();
        let cell = match self {
            Error::Canceled => &CANCELED,
            Error::DeadlineExceeded => &EXPIRED,
        };
        Arc::clone(cell.get_or_init(|| Arc::new(self)))
    }
}
