//! Macros whose awaits `#[ctx_aware]` cannot race get a warning at the
//! macro; `#[shield]` says they are meant (no warning).
#![deny(deprecated)]
use context::ctx_aware;

macro_rules! twice {
    ($e:expr) => {{
        $e;
        $e
    }};
}

#[ctx_aware]
async fn f(rx: &mut tokio::sync::mpsc::Receiver<u32>) -> Option<u32> {
    use futures_util::FutureExt;
    let a = twice!(async { 1 }.await);
    twice!(async {}.await);
    let b = tokio::select! { v = rx.recv() => v };
    let c = futures_util::select! {
        v = async { 3 }.fuse() => v,
        complete => 4,
    };
    #[shield]
    twice!(async {}.await);
    Some(a + b? + c)
}

#[ctx_aware]
async fn bare() {
    use tokio::select;
    select! { _ = async {} => {} }
}

fn main() {}
