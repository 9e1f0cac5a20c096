//! `// ctx-lint: allow(ID, ..)` comments. syn drops comments, so they are
//! read from the source lines: the comment, doc-comment and attribute
//! lines directly above an item's keyword apply to that item and
//! everything inside it.

use crate::check::Check;

pub struct Allows {
    lines: Vec<String>,
}

impl Allows {
    pub fn new(source: &str) -> Allows {
        Allows {
            lines: source.lines().map(str::to_owned).collect(),
        }
    }

    /// The checks allowed on the item whose keyword is on `line` (1-based).
    pub fn above(&self, line: usize) -> Vec<Check> {
        let mut found = Vec::new();
        let mut i = line.saturating_sub(1);
        while i > 0 {
            let text = self.lines[i - 1].trim();
            if let Some(rest) = text.strip_prefix("//") {
                found.extend(parse(rest));
            } else if !text.starts_with("#[") {
                break;
            }
            i -= 1;
        }
        found
    }
}

fn parse(comment: &str) -> Vec<Check> {
    let Some(rest) = comment.trim().strip_prefix("ctx-lint:") else {
        return Vec::new();
    };
    let Some(inner) = rest
        .trim()
        .strip_prefix("allow(")
        .and_then(|r| r.strip_suffix(')'))
    else {
        return Vec::new();
    };
    inner
        .split(',')
        .filter_map(|id| Check::from_id(id.trim()))
        .collect()
}
