//! Ruby (Onigmo) regular expressions on top of `fancy-regex`.
//!
//! Upstream compiles patterns with `Regexp.new(str)` and searches with `=~`. Where Ruby's
//! syntax or meaning differs from Rust's, the pattern is rewritten before compiling:
//!
//! | Ruby | meaning | rewritten to |
//! |---|---|---|
//! | `^` `$` | line anchors, always | pattern prefixed with `(?m)` |
//! | `(?m)`, `(?m:…)` | dot matches newline | `(?s)`, `(?s:…)` |
//! | `\d \w \s \h` (and negations) | ASCII-only classes | explicit ASCII classes |
//! | `[[:alpha:]]` etc. | Unicode-aware POSIX brackets | `\p{Alphabetic}` etc. |
//! | `\Z` | end or before a final newline | `(?=\n?\z)` |
//! | `\e \a \cX \C-X \xH \0oo`, `\uHHHH`, `\u{…}` | escapes | `\x{…}` |
//! | `{,n}` | `{0,n}` | `{0,n}` |
//! | `{` not starting a quantifier, `}`, `]` | literals | escaped |
//! | `a**`, `a{2}+` | nested repetition | `(?:a*)*`, `(?:a{2})+` |
//! | `^*`, `$+` | repeated anchors | dropped / kept once |
//! | `\/`, `\<`, `\<other punct>` | literal | `\x{…}` (fancy-regex reads `\<` as a word start) |
//! | `\y` (unknown letter escape) | literal letter (with a warning) | the letter |
//! | unmatched `(` or `)` | error | error |
//! | `(?(` + anything but `N)`, `<name>)`, `'name')` | error | error |
//! | `(?~X)` | absence operator | `(?:(?!X)(?s:.))*` (approximation) |
//!
//! Not supported (compile error, reported as an invalid regex): subexpression calls
//! `\g<name>`, meta escapes `\M-x`. A differential run
//! against the Ruby implementation (tools/differential) covers every escape letter.
//!
//! Look-ahead, look-behind, atomic groups and back-references are what fancy-regex adds
//! over the `regex` crate; real configs use look-around (travis-config.md §4.3).
//! Compiled patterns are cached per thread.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use fancy_regex::Regex;

const CACHE_MAX: usize = 256;

thread_local! {
    static CACHE: RefCell<HashMap<String, Result<Rc<Regex>, String>>> = RefCell::new(HashMap::new());
}

/// Compile a Ruby pattern (cached). The error is a description of why it is invalid.
pub fn compile(pattern: &str) -> Result<Rc<Regex>, String> {
    if let Some(hit) = CACHE.with(|c| c.borrow().get(pattern).cloned()) {
        return hit;
    }
    let result = compile_uncached(pattern).map(Rc::new);
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CACHE_MAX {
            c.clear();
        }
        c.insert(pattern.to_string(), result.clone());
    });
    result
}

fn compile_uncached(pattern: &str) -> Result<Regex, String> {
    let translated = translate(pattern)?;
    fancy_regex::RegexBuilder::new(&format!("(?m){translated}"))
        .backtrack_limit(1_000_000)
        .build()
        .map_err(|e| e.to_string())
}

const D: &str = "0-9";
const W: &str = "a-zA-Z0-9_";
const S: &str = " \\t\\n\\x0B\\x0C\\r";
const H: &str = "0-9a-fA-F";
#[derive(Clone, Copy, PartialEq)]
enum Atom {
    Plain,
    /// Zero-width: Ruby lets these be repeated, Rust does not (wrapped in a group).
    Assertion,
    /// Already carries a quantifier; `simple` is true for `*`, `+`, `?` (then a
    /// following `?` is lazy and `+` possessive, as in Ruby).
    Quantified {
        simple: bool,
    },
    /// A quantifier plus its lazy/possessive modifier.
    Modified,
    /// A repeated zero-width assertion: `^+` is `^`, `^*` matches the empty string.
    RepeatedAssertion {
        simple: bool,
    },
}

fn hex(c: u32) -> String {
    format!("\\x{{{c:X}}}")
}

/// POSIX bracket name → class items (Onigmo's are Unicode-aware).
fn posix(name: &str) -> Option<&'static str> {
    Some(match name {
        "alnum" => "\\p{Alphabetic}\\p{Nd}",
        "alpha" => "\\p{Alphabetic}",
        "ascii" => "\\x00-\\x7F",
        "blank" => "\\p{Zs}\\t",
        "cntrl" => "\\p{Cc}",
        "digit" => "\\p{Nd}",
        "graph" => "[^\\p{White_Space}\\p{Cc}\\p{Cn}\\p{Cs}]",
        "lower" => "\\p{Lowercase}",
        "print" => "[^\\p{Cc}\\p{Cn}\\p{Cs}\\n\\t]",
        "punct" => "\\p{P}",
        "space" => "\\p{White_Space}",
        "upper" => "\\p{Uppercase}",
        "xdigit" => "0-9a-fA-F",
        "word" => "\\w",
        _ => return None,
    })
}

/// Rewrite Ruby syntax into fancy-regex syntax (see the module table).
pub fn translate(p: &str) -> Result<String, String> {
    let chars: Vec<char> = p.chars().collect();
    let mut out = String::with_capacity(p.len() + 16);
    let mut i = 0;
    let mut class_depth = 0usize;
    let mut class_start = 0usize;
    let mut groups: Vec<(usize, bool)> = Vec::new(); // (start in out, is look-around)
    let mut last: Option<(usize, Atom)> = None;
    let mut absent: Vec<usize> = Vec::new(); // group depths of open `(?~`
    while i < chars.len() {
        let c = chars[i];
        let in_class = class_depth > 0;
        if c == '\\' {
            let Some(&n) = chars.get(i + 1) else {
                return Err("too short escape sequence".into());
            };
            i += 2;
            let at = out.len();
            let class = |set: &str, neg: bool| -> String {
                match (in_class, neg) {
                    (true, false) => set.to_string(),
                    _ => format!("[{}{set}]", if neg { "^" } else { "" }),
                }
            };
            let mut kind = Atom::Plain;
            if in_class
                && "dDwWsShH".contains(n)
                && chars.get(i) == Some(&'-')
                && !matches!(chars.get(i + 1), Some(']') | None)
            {
                return Err("char-class value at end of range".into());
            }
            let text: String = match n {
                'd' => class(D, false),
                'D' => class(D, true),
                'w' => class(W, false),
                'W' => class(W, true),
                's' => class(S, false),
                'S' => class(S, true),
                'h' => class(H, false),
                'H' => class(H, true),
                'b' if in_class => hex(8),
                'b' | 'B' => {
                    // Ruby's `\b` is Unicode-aware (unlike its `\w`).
                    kind = Atom::Assertion;
                    format!("\\{n}")
                }
                'A' | 'z' | 'G' if !in_class => {
                    kind = Atom::Assertion;
                    format!("\\{n}")
                }
                'Z' if !in_class => {
                    kind = Atom::Assertion;
                    "(?=\\n?\\z)".into()
                }
                'K' if !in_class => {
                    out.push_str("\\K");
                    last = None;
                    continue;
                }
                'e' => hex(0x1b),
                'a' => hex(7),
                'v' => hex(0x0b),
                'f' => hex(0x0c),
                't' => hex(9),
                'n' => hex(10),
                'r' => hex(13),
                'R' if !in_class => "(?:\\r\\n|[\\n\\x0B\\x0C\\r\\x{85}\\x{2028}\\x{2029}])".into(),
                'X' if !in_class => "(?s:.)".into(),
                'x' => {
                    let digits: String = chars[i..]
                        .iter()
                        .take(2)
                        .take_while(|c| c.is_ascii_hexdigit())
                        .collect();
                    if digits.is_empty() {
                        return Err("invalid hex escape".into());
                    }
                    i += digits.len();
                    hex(u32::from_str_radix(&digits, 16).map_err(|e| e.to_string())?)
                }
                'u' => {
                    if chars.get(i) == Some(&'{') {
                        let end = chars[i..]
                            .iter()
                            .position(|&c| c == '}')
                            .ok_or("invalid Unicode escape")?;
                        let body: String = chars[i + 1..i + end].iter().collect();
                        i += end + 1;
                        let mut s = String::new();
                        for h in body.split_whitespace() {
                            let v =
                                u32::from_str_radix(h, 16).map_err(|_| "invalid Unicode escape")?;
                            s.push_str(&hex(v));
                        }
                        if s.is_empty() {
                            return Err("invalid Unicode escape".into());
                        }
                        s
                    } else {
                        let digits: String = chars[i..].iter().take(4).collect();
                        if digits.len() != 4 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
                            return Err("invalid Unicode escape".into());
                        }
                        i += 4;
                        hex(u32::from_str_radix(&digits, 16).map_err(|e| e.to_string())?)
                    }
                }
                'c' | 'C' => {
                    // \cX and \C-X: control characters.
                    if n == 'C' {
                        if chars.get(i) != Some(&'-') {
                            return Err("invalid control-code syntax".into());
                        }
                        i += 1;
                    }
                    let Some(&x) = chars.get(i) else {
                        return Err("invalid control-code syntax".into());
                    };
                    if !x.is_ascii() || x == '\\' {
                        return Err("invalid control-code syntax".into());
                    }
                    i += 1;
                    hex(if x == '?' { 0x7f } else { (x as u32) & 0x1f })
                }
                'M' => return Err("meta escapes are not supported in UTF-8 patterns".into()),
                'p' | 'P' if chars.get(i) == Some(&'{') => {
                    let end = chars[i..]
                        .iter()
                        .position(|&c| c == '}')
                        .ok_or("invalid character property name")?;
                    let mut body: String = chars[i + 1..i + end].iter().collect();
                    i += end + 1;
                    let mut neg = n == 'P';
                    if let Some(rest) = body.strip_prefix('^') {
                        body = rest.to_string();
                        neg = !neg;
                    }
                    format!("\\{}{{{body}}}", if neg { 'P' } else { 'p' })
                }
                'k' if matches!(chars.get(i), Some('<') | Some('\'')) => {
                    let close = if chars[i] == '<' { '>' } else { '\'' };
                    let end = chars[i + 1..]
                        .iter()
                        .position(|&c| c == close)
                        .ok_or("invalid backref")?;
                    let name: String = chars[i + 1..i + 1 + end].iter().collect();
                    i += end + 2;
                    format!("\\k<{name}>")
                }
                'g' if matches!(chars.get(i), Some('<') | Some('\'')) => {
                    return Err("subexpression calls (\\g<name>) are not supported".into())
                }
                '0'..='7' if in_class || n == '0' => {
                    // Octal: \0, \0NN, and \NNN inside a class.
                    let mut digits = String::from(n);
                    while digits.len() < 3 {
                        match chars.get(i) {
                            Some(&d @ '0'..='7') => {
                                digits.push(d);
                                i += 1;
                            }
                            _ => break,
                        }
                    }
                    hex(u32::from_str_radix(&digits, 8).map_err(|e| e.to_string())?)
                }
                '1'..='9' if !in_class => format!("\\{n}"),
                c if c.is_ascii_alphanumeric() => c.to_string(),
                c if c.is_ascii() => hex(c as u32),
                c => c.to_string(),
            };
            out.push_str(&text);
            if !in_class {
                last = Some((at, kind));
            }
            continue;
        }
        if in_class {
            match c {
                '[' if chars.get(i + 1) == Some(&':') => {
                    // POSIX bracket [:name:] / [:^name:]
                    let rest: String = chars[i + 2..].iter().collect();
                    if let Some(end) = rest.find(":]") {
                        let (neg, name) = match rest[..end].strip_prefix('^') {
                            Some(n) => (true, n),
                            None => (false, &rest[..end]),
                        };
                        if let Some(items) = posix(name) {
                            if neg {
                                out.push_str(&format!("[^{items}]"));
                            } else {
                                out.push_str(&format!("[{items}]"));
                            }
                            i += 2 + rest[..end].chars().count() + 2;
                            continue;
                        }
                    }
                    class_depth += 1;
                    out.push('[');
                }
                '[' => {
                    class_depth += 1;
                    out.push('[');
                    if chars.get(i + 1) == Some(&'^') {
                        out.push('^');
                        i += 1;
                    }
                }
                ']' => {
                    class_depth -= 1;
                    out.push(']');
                    if class_depth == 0 {
                        last = Some((class_start, Atom::Plain));
                    }
                }
                '~' => out.push_str(&hex('~' as u32)),
                c => out.push(c),
            }
            i += 1;
            continue;
        }
        let at = out.len();
        match c {
            '[' => {
                class_depth = 1;
                class_start = at;
                out.push('[');
                // A leading `]` (or `^]`) is a literal in Ruby.
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i + 1) == Some(&']') {
                    out.push_str("\\]");
                    i += 1;
                }
            }
            ']' => {
                out.push_str("\\]");
                last = Some((at, Atom::Plain));
            }
            '}' => {
                out.push_str("\\}");
                last = Some((at, Atom::Plain));
            }
            '^' | '$' => {
                out.push(c);
                last = Some((at, Atom::Assertion));
            }
            '|' => {
                out.push('|');
                last = None;
            }
            '(' => {
                if chars.get(i + 1) == Some(&'?') {
                    // Inline options: Ruby's `m` is Rust's `s`.
                    let mut j = i + 2;
                    let mut flags = String::new();
                    while let Some(&f) = chars.get(j) {
                        if matches!(f, 'i' | 'm' | 'x' | '-') {
                            flags.push(if f == 'm' { 's' } else { f });
                            j += 1;
                        } else {
                            break;
                        }
                    }
                    if !flags.is_empty() && chars.get(j) == Some(&')') {
                        out.push_str(&format!("(?{flags})"));
                        last = None;
                        i = j + 1;
                        continue;
                    }
                    if !flags.is_empty() && chars.get(j) == Some(&':') {
                        out.push_str(&format!("(?{flags}:"));
                        groups.push((at, false));
                        last = None;
                        i = j + 1;
                        continue;
                    }
                    if chars.get(i + 2) == Some(&'#') {
                        let end = chars[i..]
                            .iter()
                            .position(|&c| c == ')')
                            .ok_or("end pattern in group")?;
                        i += end + 1;
                        continue;
                    }
                    if chars.get(i + 2) == Some(&'~') {
                        // The absence operator `(?~X)` (any text not containing X),
                        // approximated as `(?:(?!X)(?s:.))*`: equal except that the
                        // match cannot end inside a prefix of X.
                        groups.push((at, false));
                        out.push_str("(?:(?!");
                        absent.push(groups.len());
                        last = None;
                        i += 3;
                        continue;
                    }
                    if chars.get(i + 2) == Some(&'(') {
                        // Onigmo's conditional: only `(?(N)`, `(?(<name>)`, `(?('name')`.
                        let cond: String =
                            chars[i + 3..].iter().take_while(|&&c| c != ')').collect();
                        let valid = (!cond.is_empty() && cond.chars().all(|c| c.is_ascii_digit()))
                            || (cond.len() > 2
                                && ((cond.starts_with('<') && cond.ends_with('>'))
                                    || (cond.starts_with('\'') && cond.ends_with('\''))));
                        if !valid {
                            return Err("invalid conditional pattern".into());
                        }
                    }
                    let look = matches!(chars.get(i + 2), Some('=') | Some('!'))
                        || (chars.get(i + 2) == Some(&'<')
                            && matches!(chars.get(i + 3), Some('=') | Some('!')));
                    groups.push((at, look));
                    out.push_str("(?");
                    last = None;
                    i += 2;
                    continue;
                } else {
                    groups.push((at, false));
                }
                out.push('(');
                last = None;
            }
            ')' => {
                if absent.last() == Some(&groups.len()) {
                    absent.pop();
                    out.push_str(")(?s:.))*");
                    let (start, _) = groups.pop().unwrap_or((at, false));
                    last = Some((start, Atom::Quantified { simple: true }));
                    i += 1;
                    continue;
                }
                let Some((start, look)) = groups.pop() else {
                    return Err("unmatched close parenthesis".into());
                };
                out.push(')');
                last = Some((start, if look { Atom::Assertion } else { Atom::Plain }));
            }
            '*' | '+' | '?' | '{' => {
                let quant = if c == '{' {
                    quantifier(&chars[i..])
                } else {
                    Some((c.to_string(), 1))
                };
                let Some((text, len)) = quant else {
                    out.push_str("\\{");
                    last = Some((at, Atom::Plain));
                    i += 1;
                    continue;
                };
                let Some((start, kind)) = last else {
                    return Err("target of repeat operator is not specified".into());
                };
                let min_zero = match c {
                    '*' | '?' => true,
                    '+' => false,
                    _ => text[1..].starts_with(['0', ',']),
                };
                match kind {
                    Atom::RepeatedAssertion { simple } if c == '?' || (simple && c == '+') => {
                        last = Some((start, Atom::RepeatedAssertion { simple: false }));
                    }
                    Atom::Assertion | Atom::RepeatedAssertion { .. } => {
                        if min_zero {
                            out.truncate(start);
                        }
                        last = Some((start, Atom::RepeatedAssertion { simple: c != '{' }));
                    }
                    Atom::Quantified { simple } if c == '?' || (simple && c == '+') => {
                        out.push(c);
                        last = Some((start, Atom::Modified));
                    }
                    Atom::Plain => {
                        out.push_str(&text);
                        last = Some((start, Atom::Quantified { simple: c != '{' }));
                    }
                    _ => {
                        out.insert_str(start, "(?:");
                        out.push(')');
                        out.push_str(&text);
                        last = Some((start, Atom::Quantified { simple: c != '{' }));
                    }
                }
                i += len;
                continue;
            }
            c => {
                out.push(c);
                last = Some((at, Atom::Plain));
            }
        }
        i += 1;
    }
    if class_depth > 0 {
        return Err("premature end of char-class".into());
    }
    if !groups.is_empty() {
        return Err("end pattern with unmatched parenthesis".into());
    }
    Ok(out)
}

/// A Ruby interval quantifier at the start of `s` (`{n}`, `{n,}`, `{,m}`, `{n,m}`):
/// its Rust spelling and its length in chars.
fn quantifier(s: &[char]) -> Option<(String, usize)> {
    let end = s.iter().position(|&c| c == '}')?;
    let body: String = s[1..end].iter().collect();
    let (lo, hi) = match body.split_once(',') {
        None => (body.as_str(), None),
        Some((lo, hi)) => (lo, Some(hi)),
    };
    let digits = |t: &str| !t.is_empty() && t.len() <= 6 && t.chars().all(|c| c.is_ascii_digit());
    let text = match hi {
        None if digits(lo) => format!("{{{lo}}}"),
        Some("") if digits(lo) => format!("{{{lo},}}"),
        Some(hi) if lo.is_empty() && digits(hi) => format!("{{0,{hi}}}"),
        Some(hi) if digits(lo) && digits(hi) => format!("{{{lo},{hi}}}"),
        _ => return None,
    };
    Some((text, end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        compile(p).unwrap().is_match(s).unwrap()
    }

    #[test]
    fn ruby_line_anchors() {
        // travis-config.md §4.3: `^`/`$` are line anchors in Ruby.
        assert!(m("^foo$", "bar\nfoo\nbaz"));
        assert!(!m("\\Afoo", "bar\nfoo"));
    }

    #[test]
    fn lookaround_and_ascii_classes() {
        assert!(m("^((?!\\[skip\\]).)*$", "hello"));
        assert!(!m("^((?!\\[skip\\]).)*$", "hello [skip]"));
        assert!(m("(?<=v)\\d+", "v12"));
        assert!(!m("^\\d$", "\u{0663}"));
        assert!(m("\\h\\h", "af"));
        assert!(m("(?i:FOO)", "foo"));
    }

    #[test]
    fn ruby_only_syntax() {
        assert!(m("a{,2}b", "aab"));
        assert!(m("{foo}", "{foo}"));
        assert!(m("a\\/b", "a/b"));
        assert!(m("(?m:a.b)", "a\nb"));
        assert!(m("[\\d\\s]x", " x"));
        assert!(m("\\Z", "a\n"));
        assert!(m("a]", "a]"));
    }

    #[test]
    fn absence_operator_and_conditionals() {
        assert!(m("^(?~abc)$", "xxab"));
        assert!(!m("^(?~abc)$", "xabcx"));
        assert!(compile("(?(-a)b)").is_err());
        assert!(m("(a)?(?(1)b|c)", "c"));
    }

    #[test]
    fn invalid_patterns() {
        assert!(compile("[z-a]").is_err());
        assert!(compile("(").is_err());
        assert!(compile("[a").is_err());
    }
}
