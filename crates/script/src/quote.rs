//! Shell quoting for the generated script: every piece of user text is put into bash as a
//! single-quoted word, so the script's own structure can never be changed by config text.

/// Single-quote `s` for bash: `it's` → `'it'\''s'`.
pub fn sq(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// Quote only when needed (for values like `master`, `1.2`, `o/r`).
pub fn word(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+:@,%=".contains(&b))
    {
        s.to_string()
    } else {
        sq(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes() {
        assert_eq!(sq("a b"), "'a b'");
        assert_eq!(sq("it's"), "'it'\\''s'");
        assert_eq!(word("master"), "master");
        assert_eq!(word("foo-(dev)"), "'foo-(dev)'");
        assert_eq!(word(""), "''");
    }
}
