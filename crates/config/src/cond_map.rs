//! Map a byte offset inside a cooked scalar (after YAML unquoting / block folding) back to
//! the byte offset in the file, so `invalid_condition` points at the exact column.

use crate::yaml::{Node, Style, Value};

/// File byte offset of cooked-string byte `offset` of scalar `node`.
pub fn map_offset(text: &str, node: &Node, offset: usize) -> usize {
    let (start, end) = node.span;
    let Value::Scalar { style, .. } = &node.value else {
        return start;
    };
    let cooked = node.scalar_text().unwrap_or("");
    let raw = match text.get(start..end.min(text.len())) {
        Some(r) => r,
        None => return start.min(text.len()),
    };
    let mut ri = 0usize;
    match style {
        Style::SingleQuoted | Style::DoubleQuoted => {
            if raw.starts_with(['\'', '"']) {
                ri = 1;
            }
        }
        Style::Literal | Style::Folded => {
            if raw.starts_with(['|', '>']) {
                ri = raw.find('\n').map(|i| i + 1).unwrap_or(raw.len());
            }
        }
        Style::Plain => {}
    }
    for (ci, ch) in cooked.char_indices() {
        if ci >= offset {
            break;
        }
        while ri < raw.len() {
            let Some(rc) = raw[ri..].chars().next() else {
                break;
            };
            ri += rc.len_utf8();
            if rc == ch || (ch == ' ' && rc == '\n') || (ch == '\n' && rc == '\n') {
                break;
            }
        }
    }
    // skip indentation/newlines the cooked text does not have
    if let Some(ch) = cooked
        .get(offset.min(cooked.len())..)
        .and_then(|r| r.chars().next())
    {
        let mut j = ri;
        while j < raw.len() {
            let Some(rc) = raw[j..].chars().next() else {
                break;
            };
            if rc == ch {
                ri = j;
                break;
            }
            if !(rc == ' ' || rc == '\n' || rc == '\r' || rc == '\\' || rc == '\'' || rc == '"') {
                break;
            }
            j += rc.len_utf8();
        }
    }
    (start + ri).min(text.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::load;

    fn at(text: &str, off: usize) -> usize {
        let doc = load(text).unwrap();
        let root = doc.root.unwrap();
        let node = &root.as_map().unwrap()[0].1;
        map_offset(text, node, off)
    }

    #[test]
    fn plain_quoted_and_block() {
        let t = "if: branch = x y\n";
        assert_eq!(&t[at(t, 9)..at(t, 9) + 1], "x");
        let t = "if: 'it''s = x'\n";
        // cooked: it's = x ; offset 7 is 'x'
        assert_eq!(&t[at(t, 7)..at(t, 7) + 1], "x");
        let t = "if: \"a = \\\"b\\\" z\"\n";
        // cooked: a = "b" z ; offset 8 is 'z'
        assert_eq!(&t[at(t, 8)..at(t, 8) + 1], "z");
        let t = "if: |\n  branch = a\n  AND x\n";
        // cooked: "branch = a\nAND x\n" ; offset 15 is 'x'
        assert_eq!(&t[at(t, 15)..at(t, 15) + 1], "x");
    }
}
