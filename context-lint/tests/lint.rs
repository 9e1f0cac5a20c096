//! cargo ctx-lint: a fixture per check (positives and negatives, the false
//! positives of SPEC M6 included), snapshots of the rendered diagnostics,
//! the JSON schema, and exit codes.

use std::path::Path;
use std::process::Command;

fn run_lib(args: &[&str]) -> (i32, String, String) {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = context_lint::run(&args, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

/// Compares `actual` to `fixtures/NAME/expected.txt`; `BLESS=1` rewrites it.
fn snapshot(name: &str, actual: &str) {
    let path = Path::new("tests/fixtures").join(name).join("expected.txt");
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        actual,
        expected,
        "snapshot {} differs (BLESS=1 to update)",
        path.display()
    );
}

fn check_fixture(name: &str, extra: &[&str]) -> String {
    let input = format!("tests/fixtures/{name}/input.rs");
    let mut args = vec![input.as_str()];
    args.extend(extra);
    let (code, out, _) = run_lib(&args);
    assert_eq!(code, 1, "{name}: findings give exit code 1");
    snapshot(name, &out);
    out
}

#[test]
fn ctx_in_struct() {
    let out = check_fixture("ctx_in_struct", &[]);
    assert_eq!(out.matches("error[ctx-in-struct]").count(), 5, "{out}");
    for negative in [
        "PhantomData",
        "task::Context",
        "Fn(&Context)",
        "fn(&Context)",
        "other::Context",
        "Allowed",
    ] {
        assert!(
            !out.lines().any(|l| l.contains(negative) && l.contains('|')),
            "false positive on {negative}:\n{out}"
        );
    }
}

#[test]
fn ctx_not_first() {
    let out = check_fixture("ctx_not_first", &[]);
    assert_eq!(out.matches("error[ctx-not-first]").count(), 3, "{out}");
    assert!(out.contains("`bad`") && out.contains("`late`") && out.contains("`get`"));
}

#[test]
fn dropped_cancel() {
    let out = check_fixture("dropped_cancel", &[]);
    assert_eq!(out.matches("error[dropped-cancel]").count(), 7, "{out}");
    assert!(
        out.contains("never used")
            && out.contains("are dropped at once")
            && out.contains("dropped with the rest of the tuple")
    );
    // `stop` is called, `_cancel` is held on purpose: neither is flagged
    assert!(
        !out.contains("`stop`") && !out.contains("input.rs:13:"),
        "{out}"
    );
}

#[test]
fn fresh_root() {
    let out = check_fixture("fresh_root", &[]);
    assert_eq!(out.matches("error[fresh-root]").count(), 3, "{out}");
}

#[test]
fn missing_ctx_aware_is_opt_in() {
    let (code, out, _) = run_lib(&["tests/fixtures/missing_ctx_aware/input.rs"]);
    assert_eq!((code, out.as_str()), (0, ""), "off by default");
    let out = check_fixture("missing_ctx_aware", &["--enable", "missing-ctx-aware"]);
    assert_eq!(out.matches("error[missing-ctx-aware]").count(), 2, "{out}");
    assert!(out.contains("`unraced`") && out.contains("`passes_it_on_but_not_here`"));
    // Every await hands the context on: it stops with it (issue 11, item 11).
    assert!(!out.contains("`passes_it_on`"), "{out}");
}

#[test]
fn allow_flag_turns_a_check_off() {
    let (code, out, _) = run_lib(&[
        "tests/fixtures/fresh_root/input.rs",
        "--allow",
        "fresh-root",
    ]);
    assert_eq!((code, out.as_str()), (0, ""));
}

#[test]
fn unparsable_files_are_reported_and_skipped() {
    let (code, out, err) = run_lib(&[
        "tests/fixtures/parse_error/input.rs",
        "tests/fixtures/clean/input.rs",
    ]);
    assert_eq!(code, 0, "a parse error is not a finding");
    assert!(out.is_empty());
    assert!(
        err.contains("skipped tests/fixtures/parse_error/input.rs: cannot parse (line"),
        "{err}"
    );
}

#[test]
fn json_schema() {
    let (code, out, _) = run_lib(&[
        "tests/fixtures",
        "--format",
        "json",
        "--enable",
        "missing-ctx-aware",
    ]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    let obj = v.as_object().unwrap();
    assert_eq!(obj.len(), 2, "exactly `findings` and `skipped`");
    let findings = obj["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 5 + 3 + 7 + 3 + 2);
    for f in findings {
        let f = f.as_object().unwrap();
        let mut keys: Vec<_> = f.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "column",
                "end_column",
                "end_line",
                "file",
                "help",
                "id",
                "label",
                "line",
                "message"
            ]
        );
        for k in ["column", "end_column", "end_line", "line"] {
            assert!(f[k].as_u64().unwrap() >= 1);
        }
        for k in ["file", "help", "label", "message"] {
            assert!(!f[k].as_str().unwrap().is_empty());
        }
        assert!(context_lint::Check::from_id(f["id"].as_str().unwrap()).is_some());
    }
    let skipped = obj["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1);
    assert!(skipped[0]["file"]
        .as_str()
        .unwrap()
        .ends_with("parse_error/input.rs"));
}

#[test]
fn exit_codes_of_the_binary() {
    let bin = env!("CARGO_BIN_EXE_cargo-ctx-lint");
    let code = |args: &[&str]| {
        Command::new(bin)
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap()
            .code()
    };
    assert_eq!(
        code(&["ctx-lint", "tests/fixtures/clean"]),
        Some(0),
        "run as `cargo ctx-lint`"
    );
    assert_eq!(code(&["tests/fixtures/ctx_in_struct"]), Some(1));
    assert_eq!(code(&["--allow", "no-such-check"]), Some(2));
    assert_eq!(code(&["--frobnicate"]), Some(2));
    assert_eq!(code(&["does/not/exist"]), Some(2));
    assert_eq!(code(&["--help"]), Some(0));
}

#[test]
fn gitignored_files_are_not_checked() {
    let dir = std::env::temp_dir().join(format!("ctx-lint-gitignore-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let bad = "struct S { ctx: Context }\n";
    std::fs::write(dir.join("src/checked.rs"), bad).unwrap();
    std::fs::write(dir.join("src/generated.rs"), bad).unwrap();
    std::fs::write(dir.join(".gitignore"), "src/generated.rs\n").unwrap();
    let root = dir.display().to_string();
    let (code, out, _) = run_lib(&[root.as_str(), "--format", "json"]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let files: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].ends_with("checked.rs"));
}

#[test]
fn a_file_that_cannot_be_read_is_skipped_not_an_underflow() {
    // Issue 11, item 11: `sources - skipped` underflowed when a file could
    // not be read (it is in `skipped` but never in `sources`).
    let dir = std::env::temp_dir().join(format!("ctx-lint-unreadable-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let clean = dir.join("clean.rs");
    std::fs::write(&clean, "fn f() {}\n").unwrap();
    // Not UTF-8: found by the walk, then not readable as a `String`.
    let unreadable = dir.join("latin1.rs");
    std::fs::write(&unreadable, b"// caf\xe9\n").unwrap();
    let (code, out, err) = run_lib(&[clean.to_str().unwrap(), unreadable.to_str().unwrap()]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    assert!(err.contains("1 files checked, no findings"), "{err}");
    assert!(
        err.contains("latin1.rs"),
        "the skipped file is named: {err}"
    );
}
