//! `sh_vars`-style splitting of env strings (`A=1 B="x y"`) into ordered pairs.
//!
//! One job: reproduce how travis-yml splits an env string: whitespace-separated pairs,
//! values kept verbatim (quotes included), `$(...)`/`${...}` groups and backslash escapes
//! kept intact, a whole pair in double quotes unwrapped once. Unbalanced quotes are errors.

/// Split `s` into (name, value) pairs, or Err on an unbalanced quote / group.
pub fn split(s: &str) -> Result<Vec<(String, String)>, String> {
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    let n = chars.len();
    while i < n {
        while i < n && chars[i].is_whitespace() {
            i += 1;
        }
        if i >= n {
            break;
        }
        // a whole pair wrapped in double quotes: "FOO='foo'"
        if chars[i] == '"' {
            let mut j = i + 1;
            while j < n && chars[j] != '"' {
                if chars[j] == '\\' {
                    j += 1;
                }
                j += 1;
            }
            if j >= n {
                return Err(format!("unbalanced quote in {s:?}"));
            }
            let inner: String = chars[i + 1..j].iter().collect();
            let mut pairs = split(&inner)?;
            out.append(&mut pairs);
            i = j + 1;
            continue;
        }
        let ks = i;
        while i < n && !chars[i].is_whitespace() && chars[i] != '=' {
            i += 1;
        }
        let key: String = chars[ks..i].iter().collect();
        if i >= n || chars[i] != '=' {
            out.push((key, String::new()));
            continue;
        }
        i += 1; // '='
        let vs = i;
        while i < n && !chars[i].is_whitespace() {
            match chars[i] {
                '"' | '\'' | '`' => {
                    let q = chars[i];
                    i += 1;
                    while i < n && chars[i] != q {
                        if chars[i] == '\\' && q != '\'' {
                            i += 1;
                        }
                        i += 1;
                    }
                    if i >= n {
                        return Err(format!("unbalanced quote in {s:?}"));
                    }
                    i += 1;
                }
                '\\' => {
                    i += 2;
                }
                '$' if i + 1 < n && (chars[i + 1] == '(' || chars[i + 1] == '{') => {
                    let (open, close) = if chars[i + 1] == '(' {
                        ('(', ')')
                    } else {
                        ('{', '}')
                    };
                    i += 2;
                    let mut depth = 1;
                    while i < n && depth > 0 {
                        if chars[i] == open {
                            depth += 1;
                        } else if chars[i] == close {
                            depth -= 1;
                        } else if chars[i] == '\\' {
                            i += 1;
                        }
                        i += 1;
                    }
                    if depth > 0 {
                        return Err(format!("unbalanced group in {s:?}"));
                    }
                }
                _ => i += 1,
            }
        }
        let end = i.min(n);
        let value: String = chars[vs..end].iter().collect();
        out.push((key, value));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    fn p(s: &str) -> Vec<(String, String)> {
        split(s).unwrap()
    }
    #[test]
    fn splits_like_sh_vars() {
        assert_eq!(
            p("FOO=foo BAR=bar"),
            vec![("FOO".into(), "foo".into()), ("BAR".into(), "bar".into())]
        );
        assert_eq!(
            p("FOO=\"foo bar\""),
            vec![("FOO".into(), "\"foo bar\"".into())]
        );
        assert_eq!(p("FOO"), vec![("FOO".into(), "".into())]);
        assert_eq!(p("FOO=foo=bar"), vec![("FOO".into(), "foo=bar".into())]);
        assert_eq!(
            p("FOO=foo \"BAR='bar'\""),
            vec![("FOO".into(), "foo".into()), ("BAR".into(), "'bar'".into())]
        );
        assert_eq!(
            p("A=$(echo a b) B=${X:-y z}"),
            vec![
                ("A".into(), "$(echo a b)".into()),
                ("B".into(), "${X:-y z}".into())
            ]
        );
        assert!(split("FOO=\"").is_err());
        assert!(split("FOO=foo\"bar").is_err());
    }
}
