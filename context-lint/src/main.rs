//! `cargo ctx-lint [PATH..] [--format json] [--allow ID] [--enable ID]`.

fn main() {
    // Run as `cargo ctx-lint ..`, cargo passes "ctx-lint" as the first argument.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .skip_while(|a| a == "ctx-lint")
        .collect();
    let code = context_lint::run(&args, &mut std::io::stdout(), &mut std::io::stderr());
    std::process::exit(code);
}
