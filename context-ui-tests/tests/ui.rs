//! trybuild UI tests: one file per diagnostic of SPEC M2-M11 (the `.stderr`
//! beside each is the exact expected compiler output on rustc 1.95), and
//! pass cases for shapes that must not be flagged.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
