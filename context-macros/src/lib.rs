//! `#[ctx_aware]` for the `context` crate (not yet built: see the macro
//! issue). The crate exists so the workspace has its final shape.
