//! Shapes that only mention a context, or another crate's `Context`: no error.
use std::marker::PhantomData;
use std::sync::Arc;

mod other {
    pub struct Context;
}

#[context::ctx_aware]
struct Fine<'a> {
    waker_cx: Option<&'a mut std::task::Context<'a>>,
    marker: PhantomData<context::Context>,
    callback: Box<dyn Fn(&context::Context) + Send>,
    pointer: fn(&context::Context) -> u8,
    theirs: other::Context,
    shared: Arc<other::Context>,
}

// Two lifetimes, with the implied bound `'b: 'a` (issue 11, item 4).
#[context::ctx_aware]
struct Poller<'a, 'b> {
    cx: &'a mut std::task::Context<'b>,
}

#[context::ctx_aware]
struct Writer<'a, 'b> {
    f: &'a mut std::fmt::Formatter<'b>,
}

#[context::ctx_aware]
enum Either<'a, 'b> {
    Poll(&'a mut std::task::Context<'b>),
    Write(&'a mut std::fmt::Formatter<'b>),
}

#[context::ctx_aware]
enum Generic<T> {
    One(T),
    Two(Vec<T>),
}

#[context::ctx_aware]
struct Recursive {
    next: Option<Box<Self>>,
}

fn main() {
    let _ = (
        std::mem::size_of::<Poller<'static, 'static>>(),
        std::mem::size_of::<Writer<'static, 'static>>(),
        std::mem::size_of::<Either<'static, 'static>>(),
    );
    let _ = Generic::<u8>::One(1);
    let _ = Recursive { next: None };
    let f = Fine {
        waker_cx: None,
        marker: PhantomData,
        callback: Box::new(|_| {}),
        pointer: |_| 1,
        theirs: other::Context,
        shared: Arc::new(other::Context),
    };
    let _ = (f.waker_cx, f.marker, f.callback, f.pointer, f.theirs, f.shared);
    if let Generic::Two(v) = Generic::<u8>::Two(vec![]) {
        let _ = v;
    }
}
