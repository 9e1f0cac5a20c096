//! Which files: every `.rs` file under the given paths, skipping what
//! `.gitignore` (and `.ignore`) exclude, and `target/`.

use std::path::{Path, PathBuf};

pub fn rust_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for root in paths {
        if !root.exists() {
            return Err(format!("{}: no such file or directory", root.display()));
        }
        if root.is_file() {
            files.push(root.clone());
            continue;
        }
        let walk = ignore::WalkBuilder::new(root)
            .require_git(false)
            .filter_entry(|e| e.file_name() != "target")
            .build();
        for entry in walk {
            let entry = entry.map_err(|e| e.to_string())?;
            let p = entry.path();
            if entry.file_type().is_some_and(|t| t.is_file()) && is_rust(p) {
                files.push(p.to_path_buf());
            }
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

fn is_rust(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "rs")
}
