//! Ruby (Onigmo) regular expressions on top of `fancy-regex`.
//!
//! Upstream compiles patterns with `Regexp.new(str)` and searches with `=~`. Where Ruby's
//! syntax or meaning differs from Rust's, the pattern is rewritten before compiling:
//!
//! | Ruby | meaning | rewritten to |
//! |---|---|---|
//! | `^` `$` | line anchors, always | pattern wrapped in `(?m:…)` |
//! | `(?m)`, `(?m:…)` | dot matches newline | `(?s)`, `(?s:…)` |
//! | `\d \w \s \h` (and negations), `\b` | ASCII-only classes | explicit ASCII classes, `(?-u:\b)` |
//! | `\Z` | end or before a final newline | `(?=\n?\z)` |
//! | `\e`, `\u{…}`/`\uHHHH` | escapes | `\x1B`, `\x{…}` |
//! | `{,n}` | `{0,n}` | `{0,n}` |
//! | `{` not starting a quantifier | literal | `\{` |
//! | `\/`, `\<other punct>` | literal | kept (escaped) |
//! | `\y` (unknown letter escape) | literal letter (with a warning) | the letter |
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
    fancy_regex::RegexBuilder::new(&format!("(?m:{translated})"))
        .backtrack_limit(1_000_000)
        .build()
        .map_err(|e| e.to_string())
}

const D: &str = "0-9";
const W: &str = "a-zA-Z0-9_";
const S: &str = " \\t\\n\\x0B\\x0C\\r";
const H: &str = "0-9a-fA-F";

/// Rewrite Ruby syntax into fancy-regex syntax (see the module table).
pub fn translate(p: &str) -> Result<String, String> {
    let chars: Vec<char> = p.chars().collect();
    let mut out = String::with_capacity(p.len() + 16);
    let mut i = 0;
    let mut class_depth = 0usize;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                let Some(&n) = chars.get(i + 1) else {
                    return Err("too short escape sequence".into());
                };
                i += 2;
                let in_class = class_depth > 0;
                let class = |set: &str, neg: bool| -> String {
                    match (in_class, neg) {
                        (true, false) => set.to_string(),
                        (true, true) => format!("[^{set}]"),
                        (false, false) => format!("[{set}]"),
                        (false, true) => format!("[^{set}]"),
                    }
                };
                match n {
                    'd' => out.push_str(&class(D, false)),
                    'D' => out.push_str(&class(D, true)),
                    'w' => out.push_str(&class(W, false)),
                    'W' => out.push_str(&class(W, true)),
                    's' => out.push_str(&class(S, false)),
                    'S' => out.push_str(&class(S, true)),
                    'h' => out.push_str(&class(H, false)),
                    'H' => out.push_str(&class(H, true)),
                    'b' if !in_class => out.push_str("(?-u:\\b)"),
                    'B' if !in_class => out.push_str("(?-u:\\B)"),
                    'b' => out.push_str("\\x08"),
                    'Z' if !in_class => out.push_str("(?=\\n?\\z)"),
                    'e' => out.push_str("\\x1B"),
                    'a' => out.push_str("\\x07"),
                    'v' => out.push_str("\\x0B"),
                    'f' => out.push_str("\\x0C"),
                    'u' => {
                        if chars.get(i) == Some(&'{') {
                            let end = chars[i..].iter().position(|&c| c == '}').ok_or("invalid Unicode escape")?;
                            let hex: String = chars[i + 1..i + end].iter().collect();
                            out.push_str(&format!("\\x{{{}}}", hex.trim()));
                            i += end + 1;
                        } else {
                            let hex: String = chars[i..].iter().take(4).collect();
                            if hex.len() != 4 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                                return Err("invalid Unicode escape".into());
                            }
                            out.push_str(&format!("\\x{{{hex}}}"));
                            i += 4;
                        }
                    }
                    'A' | 'z' | 'G' | 'K' | 'R' | 'X' | 'n' | 't' | 'r' | 'x' | 'p' | 'P' | 'k' | 'g' | '0'..='9' => {
                        out.push('\\');
                        out.push(n);
                    }
                    c if c.is_ascii_alphabetic() => out.push(c),
                    c if c.is_ascii() => {
                        // Escaped punctuation (and `\ `) stays a literal.
                        out.push('\\');
                        out.push(c);
                    }
                    c => out.push(c),
                }
                continue;
            }
            '[' => {
                class_depth += 1;
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
            ']' if class_depth > 0 => {
                class_depth -= 1;
                out.push(']');
            }
            ']' => out.push_str("\\]"),
            '{' if class_depth == 0 => match quantifier(&chars[i..]) {
                Some((text, len)) => {
                    out.push_str(&text);
                    i += len;
                    continue;
                }
                None => out.push_str("\\{"),
            },
            '}' if class_depth == 0 => out.push_str("\\}"),
            '(' if class_depth == 0 && chars.get(i + 1) == Some(&'?') => {
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
                if !flags.is_empty() && matches!(chars.get(j), Some(':') | Some(')')) {
                    out.push_str("(?");
                    out.push_str(&flags);
                    i = j;
                    continue;
                }
                if chars.get(i + 2) == Some(&'#') {
                    // A comment group.
                    let end = chars[i..].iter().position(|&c| c == ')').ok_or("end pattern in group")?;
                    i += end + 1;
                    continue;
                }
                out.push('(');
            }
            c => out.push(c),
        }
        i += 1;
    }
    if class_depth > 0 {
        return Err("premature end of char-class".into());
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
    fn invalid_patterns() {
        assert!(compile("[z-a]").is_err());
        assert!(compile("(").is_err());
        assert!(compile("[a").is_err());
    }
}
