//! The `env` data of a condition: how upstream (`v1/data.rb` + the sh_vars gem) turns
//! a map, a `"K=V K2=V2"` string or a list of either into name/value pairs, and how
//! `env(NAME)` unquotes a value.

use serde_json::Value;

/// `value.gsub(/^(["'])(.*)\1$/, '\2')`: on every line that starts and ends with the
/// same quote character, drop that pair.
pub fn unquote_lines(value: &str) -> String {
    if !value.contains(['"', '\'']) {
        return value.to_string();
    }
    value
        .split('\n')
        .map(unquote_once)
        .collect::<Vec<_>>()
        .join("\n")
}

/// `/^(["'])(.*)\1$/ =~ str && $2 || str` for a single line.
fn unquote_once(line: &str) -> &str {
    let b = line.as_bytes();
    if b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[b.len() - 1] == b[0] {
        &line[1..line.len() - 1]
    } else {
        line
    }
}

/// First line of `s` unquoted, the rest untouched (`=~` finds the first match only,
/// and `.` does not cross a newline).
fn unquote_first(s: &str) -> String {
    // The first line that is entirely quoted gives $2; the result is just that line.
    for line in s.split('\n') {
        let u = unquote_once(line);
        if u.len() != line.len() {
            return u.to_string();
        }
    }
    s.to_string()
}

/// Parse a shell-style assignment list (`FOO=foo BAR="bar baz"`) the way the sh_vars gem
/// does for the common cases: pairs separated by whitespace; values keep their quotes
/// (`"..."`, `'...'`, `` `...` ``), backslash escapes (`\ `) and `$(...)`/`${...}` groups
/// verbatim. Returns `None` where sh_vars would report a parse error (unbalanced quote).
pub fn parse_assignments(s: &str) -> Option<Vec<(String, String)>> {
    let b = s
        .trim_matches(|c: char| c.is_ascii_whitespace() || c == '\0')
        .as_bytes();
    let mut pairs = Vec::new();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        // A whole pair in double quotes: `"FOO=bar baz"`.
        if b[i] == b'"' {
            let end = find_close(b, i + 1, b'"')?;
            let inner = String::from_utf8_lossy(&b[i + 1..end]).into_owned();
            let inner = inner.replace("\\\"", "\"");
            if let Some(mut more) = parse_assignments(&inner) {
                pairs.append(&mut more);
            }
            i = end + 1;
            continue;
        }
        let key_start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'=' {
            i += 1;
        }
        let key = String::from_utf8_lossy(&b[key_start..i]).into_owned();
        if i >= b.len() || b[i] != b'=' {
            if !key.is_empty() {
                pairs.push((key, String::new()));
            } else {
                i += 1;
            }
            continue;
        }
        i += 1; // '='
        let val_start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() {
            match b[i] {
                b'\\' => i += 2,
                q @ (b'"' | b'\'' | b'`') => i = find_close(b, i + 1, q)? + 1,
                b'$' if matches!(b.get(i + 1), Some(b'(') | Some(b'{')) => {
                    let close = if b[i + 1] == b'(' { b')' } else { b'}' };
                    i = find_close(b, i + 2, close)? + 1;
                }
                _ => i += 1,
            }
        }
        let i_end = i.min(b.len());
        pairs.push((
            key,
            String::from_utf8_lossy(&b[val_start..i_end]).into_owned(),
        ));
        i = i_end;
    }
    Some(pairs)
}

fn find_close(b: &[u8], mut i: usize, q: u8) -> Option<usize> {
    while i < b.len() {
        if b[i] == b'\\' && q != b'\'' {
            i += 2;
            continue;
        }
        if b[i] == q {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// One `K=V …` string as upstream's `Data#parse`: sh_vars pairs, each value unquoted once.
pub fn pairs_from_string(s: &str) -> Vec<(String, String)> {
    parse_assignments(s)
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| {
            let v = unquote_first(&v);
            (k, v)
        })
        .collect()
}

/// A JSON scalar as the string a Ruby value prints as, `None` for `null`.
pub fn scalar_to_string(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        other => Some(other.to_string()),
    }
}

/// `Data#normalize_env`: a map, a string, or a (nested) list of maps and strings, later
/// entries winning. A `null` value removes the name (upstream keeps a `nil`).
pub fn pairs_from_json(env: &Value, out: &mut Vec<(String, String)>) {
    match env {
        Value::Null => {}
        Value::Object(map) => {
            for (k, v) in map {
                push(out, k.clone(), scalar_to_string(v));
            }
        }
        Value::Array(items) => {
            for item in items {
                pairs_from_json(item, out);
            }
        }
        Value::String(s) => {
            for (k, v) in pairs_from_string(s) {
                push(out, k, Some(v));
            }
        }
        other => {
            for (k, v) in pairs_from_string(&other.to_string()) {
                push(out, k, Some(v));
            }
        }
    }
}

fn push(out: &mut Vec<(String, String)>, k: String, v: Option<String>) {
    match v {
        Some(v) => out.push((k, v)),
        None => out.retain(|(name, _)| *name != k),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sh_vars_like_pairs() {
        assert_eq!(
            pairs_from_string("FOO=\"foo bar\" BAR=\"bar baz\""),
            vec![
                ("FOO".into(), "foo bar".into()),
                ("BAR".into(), "bar baz".into())
            ]
        );
        assert_eq!(
            pairs_from_string("FOO=foo\\ bar"),
            vec![("FOO".into(), "foo\\ bar".into())]
        );
        assert_eq!(
            pairs_from_string("FOO=`bar 'baz'`"),
            vec![("FOO".into(), "`bar 'baz'`".into())]
        );
        assert_eq!(pairs_from_string("FOO"), vec![("FOO".into(), "".into())]);
        assert_eq!(
            pairs_from_string("A=$(echo x y) B=1"),
            vec![("A".into(), "$(echo x y)".into()), ("B".into(), "1".into())]
        );
    }

    #[test]
    fn unquote_each_line() {
        assert_eq!(unquote_lines("\"foo\""), "foo");
        assert_eq!(unquote_lines("foo'"), "foo'");
        assert_eq!(unquote_lines("'a'\n\"b\""), "a\nb");
    }
}
