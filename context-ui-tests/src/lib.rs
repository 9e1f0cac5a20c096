//! Nothing to link: this package exists for `tests/ui.rs`, the trybuild UI
//! tests of `#[ctx_aware]` (see `Cargo.toml` for why they live apart).
