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
    let mut t = Translator {
        chars: p.chars().collect(),
        out: String::with_capacity(p.len() + 16),
        i: 0,
        class_depth: 0,
        class_start: 0,
        groups: Vec::new(),
        last: None,
        absent: Vec::new(),
    };
    while let Some(&c) = t.chars.get(t.i) {
        if c == '\\' {
            t.escape()?;
        } else if t.class_depth > 0 {
            t.class_char(c);
        } else {
            t.char(c)?;
        }
    }
    if t.class_depth > 0 {
        return Err("premature end of char-class".into());
    }
    if !t.groups.is_empty() {
        return Err("end pattern with unmatched parenthesis".into());
    }
    Ok(t.out)
}

/// The state of one [`translate`]: a cursor over the pattern and the rewritten text.
/// Each method consumes one construct at `i` and moves `i` past it.
struct Translator {
    chars: Vec<char>,
    out: String,
    i: usize,
    /// Nesting of `[...]` (Ruby allows nested classes); 0 outside any class.
    class_depth: usize,
    /// Where in `out` the outermost open class starts.
    class_start: usize,
    /// Open groups: (start in `out`, is look-around).
    groups: Vec<(usize, bool)>,
    /// The last atom written outside classes (start in `out`, kind), the target of a
    /// following quantifier.
    last: Option<(usize, Atom)>,
    /// Group depths of open absence operators `(?~`.
    absent: Vec<usize>,
}

impl Translator {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.i + ahead).copied()
    }

    /// A backslash escape, in or outside a class.
    fn escape(&mut self) -> Result<(), String> {
        let Some(n) = self.peek(1) else {
            return Err("too short escape sequence".into());
        };
        self.i += 2;
        let in_class = self.class_depth > 0;
        let at = self.out.len();
        if in_class
            && "dDwWsShH".contains(n)
            && self.peek(0) == Some('-')
            && !matches!(self.peek(1), Some(']') | None)
        {
            return Err("char-class value at end of range".into());
        }
        if n == 'K' && !in_class {
            self.out.push_str("\\K");
            self.last = None;
            return Ok(());
        }
        let (text, kind) = self.escape_text(n, in_class)?;
        self.out.push_str(&text);
        if !in_class {
            self.last = Some((at, kind));
        }
        Ok(())
    }

    /// The rewrite of `\n` (the letter after the backslash), consuming any argument.
    fn escape_text(&mut self, n: char, in_class: bool) -> Result<(String, Atom), String> {
        let class = |set: &str, neg: bool| -> String {
            match (in_class, neg) {
                (true, false) => set.to_string(),
                _ => format!("[{}{set}]", if neg { "^" } else { "" }),
            }
        };
        let text = match n {
            'd' | 'D' => class(D, n == 'D'),
            'w' | 'W' => class(W, n == 'W'),
            's' | 'S' => class(S, n == 'S'),
            'h' | 'H' => class(H, n == 'H'),
            'b' if in_class => hex(8),
            // Ruby's `\b` is Unicode-aware (unlike its `\w`).
            'b' | 'B' => return Ok((format!("\\{n}"), Atom::Assertion)),
            'A' | 'z' | 'G' if !in_class => return Ok((format!("\\{n}"), Atom::Assertion)),
            'Z' if !in_class => return Ok(("(?=\\n?\\z)".into(), Atom::Assertion)),
            'e' => hex(0x1b),
            'a' => hex(7),
            'v' => hex(0x0b),
            'f' => hex(0x0c),
            't' => hex(9),
            'n' => hex(10),
            'r' => hex(13),
            'R' if !in_class => "(?:\\r\\n|[\\n\\x0B\\x0C\\r\\x{85}\\x{2028}\\x{2029}])".into(),
            'X' if !in_class => "(?s:.)".into(),
            'x' => self.hex_escape()?,
            'u' => self.unicode_escape()?,
            'c' | 'C' => self.control_escape(n)?,
            'M' => return Err("meta escapes are not supported in UTF-8 patterns".into()),
            'p' | 'P' if self.peek(0) == Some('{') => self.property(n)?,
            'k' if matches!(self.peek(0), Some('<') | Some('\'')) => self.named_backref()?,
            'g' if matches!(self.peek(0), Some('<') | Some('\'')) => {
                return Err("subexpression calls (\\g<name>) are not supported".into())
            }
            '0'..='7' if in_class || n == '0' => self.octal(n)?,
            '1'..='9' if !in_class => format!("\\{n}"),
            c if c.is_ascii_alphanumeric() => c.to_string(),
            c if c.is_ascii() => hex(c as u32),
            c => c.to_string(),
        };
        Ok((text, Atom::Plain))
    }

    /// `\xH`, `\xHH`.
    fn hex_escape(&mut self) -> Result<String, String> {
        let digits: String = self.chars[self.i..]
            .iter()
            .take(2)
            .take_while(|c| c.is_ascii_hexdigit())
            .collect();
        if digits.is_empty() {
            return Err("invalid hex escape".into());
        }
        self.i += digits.len();
        Ok(hex(
            u32::from_str_radix(&digits, 16).map_err(|e| e.to_string())?
        ))
    }

    /// `\uHHHH` and `\u{H H ...}`.
    fn unicode_escape(&mut self) -> Result<String, String> {
        if self.peek(0) != Some('{') {
            let digits: String = self.chars[self.i..].iter().take(4).collect();
            if digits.len() != 4 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err("invalid Unicode escape".into());
            }
            self.i += 4;
            return Ok(hex(
                u32::from_str_radix(&digits, 16).map_err(|e| e.to_string())?
            ));
        }
        let end = self.chars[self.i..]
            .iter()
            .position(|&c| c == '}')
            .ok_or("invalid Unicode escape")?;
        let body: String = self.chars[self.i + 1..self.i + end].iter().collect();
        self.i += end + 1;
        let mut s = String::new();
        for h in body.split_whitespace() {
            let v = u32::from_str_radix(h, 16).map_err(|_| "invalid Unicode escape")?;
            s.push_str(&hex(v));
        }
        if s.is_empty() {
            return Err("invalid Unicode escape".into());
        }
        Ok(s)
    }

    /// `\cX` and `\C-X`: control characters.
    fn control_escape(&mut self, n: char) -> Result<String, String> {
        if n == 'C' {
            if self.peek(0) != Some('-') {
                return Err("invalid control-code syntax".into());
            }
            self.i += 1;
        }
        let Some(x) = self.peek(0) else {
            return Err("invalid control-code syntax".into());
        };
        if !x.is_ascii() || x == '\\' {
            return Err("invalid control-code syntax".into());
        }
        self.i += 1;
        Ok(hex(if x == '?' { 0x7f } else { (x as u32) & 0x1f }))
    }

    /// `\p{Name}`, `\p{^Name}`, `\P{Name}`.
    fn property(&mut self, n: char) -> Result<String, String> {
        let end = self.chars[self.i..]
            .iter()
            .position(|&c| c == '}')
            .ok_or("invalid character property name")?;
        let mut body: String = self.chars[self.i + 1..self.i + end].iter().collect();
        self.i += end + 1;
        let mut neg = n == 'P';
        if let Some(rest) = body.strip_prefix('^') {
            body = rest.to_string();
            neg = !neg;
        }
        Ok(format!("\\{}{{{body}}}", if neg { 'P' } else { 'p' }))
    }

    /// `\k<name>` and `\k'name'`.
    fn named_backref(&mut self) -> Result<String, String> {
        let close = if self.peek(0) == Some('<') { '>' } else { '\'' };
        let end = self.chars[self.i + 1..]
            .iter()
            .position(|&c| c == close)
            .ok_or("invalid backref")?;
        let name: String = self.chars[self.i + 1..self.i + 1 + end].iter().collect();
        self.i += end + 2;
        Ok(format!("\\k<{name}>"))
    }

    /// Octal: `\0`, `\0NN`, and `\NNN` inside a class (`n` is the first digit).
    fn octal(&mut self, n: char) -> Result<String, String> {
        let mut digits = String::from(n);
        while digits.len() < 3 {
            match self.peek(0) {
                Some(d @ '0'..='7') => {
                    digits.push(d);
                    self.i += 1;
                }
                _ => break,
            }
        }
        Ok(hex(
            u32::from_str_radix(&digits, 8).map_err(|e| e.to_string())?
        ))
    }

    /// One character inside a class.
    fn class_char(&mut self, c: char) {
        match c {
            '[' if self.peek(1) == Some(':') => {
                if self.posix_bracket() {
                    return;
                }
                self.class_depth += 1;
                self.out.push('[');
            }
            '[' => {
                self.class_depth += 1;
                self.out.push('[');
                if self.peek(1) == Some('^') {
                    self.out.push('^');
                    self.i += 1;
                }
            }
            ']' => {
                self.class_depth -= 1;
                self.out.push(']');
                if self.class_depth == 0 {
                    self.last = Some((self.class_start, Atom::Plain));
                }
            }
            '~' => self.out.push_str(&hex('~' as u32)),
            c => self.out.push(c),
        }
        self.i += 1;
    }

    /// A POSIX bracket `[:name:]` / `[:^name:]` at `i`: written and consumed when the
    /// name is known (true), else nothing happens (false).
    fn posix_bracket(&mut self) -> bool {
        let rest: String = self.chars[self.i + 2..].iter().collect();
        let Some(end) = rest.find(":]") else {
            return false;
        };
        let (neg, name) = match rest[..end].strip_prefix('^') {
            Some(n) => (true, n),
            None => (false, &rest[..end]),
        };
        let Some(items) = posix(name) else {
            return false;
        };
        self.out
            .push_str(&format!("[{}{items}]", if neg { "^" } else { "" }));
        self.i += 2 + rest[..end].chars().count() + 2;
        true
    }

    /// One character outside classes (not a backslash).
    fn char(&mut self, c: char) -> Result<(), String> {
        let at = self.out.len();
        match c {
            '[' => {
                self.class_depth = 1;
                self.class_start = at;
                self.out.push('[');
                // A leading `]` (or `^]`) is a literal in Ruby.
                if self.peek(1) == Some('^') {
                    self.out.push('^');
                    self.i += 1;
                }
                if self.peek(1) == Some(']') {
                    self.out.push_str("\\]");
                    self.i += 1;
                }
            }
            ']' | '}' => {
                self.out.push('\\');
                self.out.push(c);
                self.last = Some((at, Atom::Plain));
            }
            '^' | '$' => {
                self.out.push(c);
                self.last = Some((at, Atom::Assertion));
            }
            '|' => {
                self.out.push('|');
                self.last = None;
            }
            '(' if self.peek(1) == Some('?') => return self.open_special_group(),
            '(' => {
                self.groups.push((at, false));
                self.out.push('(');
                self.last = None;
            }
            ')' => return self.close_group(),
            '*' | '+' | '?' | '{' => return self.repeat(c),
            c => {
                self.out.push(c);
                self.last = Some((at, Atom::Plain));
            }
        }
        self.i += 1;
        Ok(())
    }

    /// A group starting `(?`: inline options, comments, the absence operator,
    /// conditionals and look-around.
    fn open_special_group(&mut self) -> Result<(), String> {
        let at = self.out.len();
        // Inline options: Ruby's `m` is Rust's `s`.
        let mut j = self.i + 2;
        let mut flags = String::new();
        while let Some(&f) = self.chars.get(j) {
            if matches!(f, 'i' | 'm' | 'x' | '-') {
                flags.push(if f == 'm' { 's' } else { f });
                j += 1;
            } else {
                break;
            }
        }
        match (flags.is_empty(), self.chars.get(j)) {
            (false, Some(')')) => {
                self.out.push_str(&format!("(?{flags})"));
                self.last = None;
                self.i = j + 1;
                return Ok(());
            }
            (false, Some(':')) => {
                self.out.push_str(&format!("(?{flags}:"));
                self.groups.push((at, false));
                self.last = None;
                self.i = j + 1;
                return Ok(());
            }
            _ => {}
        }
        match self.peek(2) {
            Some('#') => {
                let end = self.chars[self.i..]
                    .iter()
                    .position(|&c| c == ')')
                    .ok_or("end pattern in group")?;
                self.i += end + 1;
                return Ok(());
            }
            Some('~') => {
                // The absence operator `(?~X)` (any text not containing X), approximated
                // as `(?:(?!X)(?s:.))*`: equal except that the match cannot end inside a
                // prefix of X.
                self.groups.push((at, false));
                self.out.push_str("(?:(?!");
                self.absent.push(self.groups.len());
                self.last = None;
                self.i += 3;
                return Ok(());
            }
            Some('(') => {
                // Onigmo's conditional: only `(?(N)`, `(?(<name>)`, `(?('name')`.
                let cond: String = self.chars[self.i + 3..]
                    .iter()
                    .take_while(|&&c| c != ')')
                    .collect();
                let valid = (!cond.is_empty() && cond.chars().all(|c| c.is_ascii_digit()))
                    || (cond.len() > 2
                        && ((cond.starts_with('<') && cond.ends_with('>'))
                            || (cond.starts_with('\'') && cond.ends_with('\''))));
                if !valid {
                    return Err("invalid conditional pattern".into());
                }
            }
            _ => {}
        }
        let look = matches!(self.peek(2), Some('=') | Some('!'))
            || (self.peek(2) == Some('<') && matches!(self.peek(3), Some('=') | Some('!')));
        self.groups.push((at, look));
        self.out.push_str("(?");
        self.last = None;
        self.i += 2;
        Ok(())
    }

    /// `)`: closes a group (or an absence operator).
    fn close_group(&mut self) -> Result<(), String> {
        let at = self.out.len();
        self.i += 1;
        if self.absent.last() == Some(&self.groups.len()) {
            self.absent.pop();
            self.out.push_str(")(?s:.))*");
            let (start, _) = self.groups.pop().unwrap_or((at, false));
            self.last = Some((start, Atom::Quantified { simple: true }));
            return Ok(());
        }
        let Some((start, look)) = self.groups.pop() else {
            return Err("unmatched close parenthesis".into());
        };
        self.out.push(')');
        let kind = if look { Atom::Assertion } else { Atom::Plain };
        self.last = Some((start, kind));
        Ok(())
    }

    /// A quantifier `*`, `+`, `?` or `{...}` (a `{` that starts none is a literal).
    fn repeat(&mut self, c: char) -> Result<(), String> {
        let at = self.out.len();
        let quant = if c == '{' {
            quantifier(&self.chars[self.i..])
        } else {
            Some((c.to_string(), 1))
        };
        let Some((text, len)) = quant else {
            self.out.push_str("\\{");
            self.last = Some((at, Atom::Plain));
            self.i += 1;
            return Ok(());
        };
        let Some((start, kind)) = self.last else {
            return Err("target of repeat operator is not specified".into());
        };
        let min_zero = match c {
            '*' | '?' => true,
            '+' => false,
            _ => text[1..].starts_with(['0', ',']),
        };
        let simple = c != '{';
        self.last = Some(match kind {
            Atom::RepeatedAssertion { simple: s } if c == '?' || (s && c == '+') => {
                (start, Atom::RepeatedAssertion { simple: false })
            }
            Atom::Assertion | Atom::RepeatedAssertion { .. } => {
                if min_zero {
                    self.out.truncate(start);
                }
                (start, Atom::RepeatedAssertion { simple })
            }
            Atom::Quantified { simple: s } if c == '?' || (s && c == '+') => {
                self.out.push(c);
                (start, Atom::Modified)
            }
            Atom::Plain => {
                self.out.push_str(&text);
                (start, Atom::Quantified { simple })
            }
            _ => {
                self.out.insert_str(start, "(?:");
                self.out.push(')');
                self.out.push_str(&text);
                (start, Atom::Quantified { simple })
            }
        });
        self.i += len;
        Ok(())
    }
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
