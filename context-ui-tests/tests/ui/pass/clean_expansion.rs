//! A typical annotated fn expands without a single warning.
#![deny(warnings)]
use context::{ctx_aware, Context, Error};

#[derive(Debug)]
struct AppError;
impl From<Error> for AppError {
    fn from(_: Error) -> Self {
        AppError
    }
}

#[ctx_aware]
async fn step(x: u32) -> Result<u32, AppError> {
    Ok(x)
}

#[ctx_aware]
async fn pipeline(x: u32) -> Result<u32, AppError> {
    let a = step(ctx, x).await?;
    let b = step(ctx, a).await?.checked_add(1).ok_or(AppError)?;
    let (child, _cancel) = ctx.with_cancel();
    let c = step(&child, b).await?;
    if step(ctx, c).await? > 100 {
        return Err(AppError);
    }
    match step(ctx, c).await {
        Ok(v) => Ok(v),
        Err(e) => Err(e),
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let ctx = Context::background();
    assert_eq!(rt.block_on(pipeline(&ctx, 1)).unwrap(), 2);
}
