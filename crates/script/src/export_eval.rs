//! What bash makes of a value exported the way Travis exports repository-settings and
//! `secure:` values: the raw text is put verbatim into `export NAME=VALUE`, which
//! `travis_cmd` `eval`s in the build shell. Bash therefore lexes the value into words
//! (unquoted white space splits it, a newline or `;` ends the command), brace-expands each
//! word, removes quotes and escapes, and expands `$NAME`, `${NAME}`, `~`, `$'…'`.
//!
//! This module emulates that statically, so that the masker can hide the value the job
//! actually receives rather than the text as written. Parts that cannot be known before
//! the job runs (a variable the script does not set, `$(…)`, `` `…` ``, `${X:-…}`) are
//! *holes*: only the literal pieces around them are known.
//!
//! Limits, on purpose: no arithmetic, no `${…}` operators, no pathname expansion (bash
//! does not glob an assignment value), no word splitting of expansions in arguments after
//! the first. Anything it cannot follow becomes a hole, never a guess of literal `$…` text.

/// One piece of an expanded word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// Text known before the job runs. `own`: it is text of the raw value itself (a
    /// quoted or plain character), not the value of a variable it refers to.
    Lit { text: String, own: bool },
    /// Text only the running job knows. `guess` is what it most likely is (e.g. the empty
    /// string for a variable the script never sets), `None` when there is no good guess.
    Hole { guess: Option<String> },
}

/// An expanded word: literal pieces and holes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expanded {
    pub segs: Vec<Seg>,
    /// True when some of the text comes from the raw value itself (not only from
    /// variables): a word made only of `$HOME` holds no secret text.
    pub has_own_text: bool,
}

impl Expanded {
    fn push_str(&mut self, s: &str) {
        if !s.is_empty() {
            self.has_own_text = true;
        }
        self.push_text(s, true);
    }

    /// Text that comes from a variable.
    fn push_var(&mut self, s: &str) {
        self.push_text(s, false);
    }

    fn push_text(&mut self, s: &str, own: bool) {
        if s.is_empty() {
            return;
        }
        match self.segs.last_mut() {
            Some(Seg::Lit { text, own: o }) if *o == own => text.push_str(s),
            _ => self.segs.push(Seg::Lit {
                text: s.to_string(),
                own,
            }),
        }
    }

    fn push_char(&mut self, c: char) {
        let mut b = [0u8; 4];
        self.push_str(c.encode_utf8(&mut b));
    }

    fn hole(&mut self, guess: Option<String>) {
        self.segs.push(Seg::Hole { guess });
    }

    /// The whole text when it holds no hole.
    pub fn known(&self) -> Option<String> {
        let mut out = String::new();
        for s in &self.segs {
            match s {
                Seg::Lit { text, .. } => out.push_str(text),
                Seg::Hole { .. } => return None,
            }
        }
        Some(out)
    }

    /// The text with every hole replaced by its guess (`None` if a hole has none).
    pub fn guessed(&self) -> Option<String> {
        let mut out = String::new();
        for s in &self.segs {
            match s {
                Seg::Lit { text, .. } => out.push_str(text),
                Seg::Hole { guess: Some(g) } => out.push_str(g),
                Seg::Hole { guess: None } => return None,
            }
        }
        Some(out)
    }

    /// True when the word holds a hole.
    pub fn has_hole(&self) -> bool {
        self.segs.iter().any(|s| matches!(s, Seg::Hole { .. }))
    }

    /// The known pieces between holes that hold some text of the raw value itself (a
    /// piece that is only `$HOME`'s value is no secret).
    pub fn pieces(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut run = String::new();
        let mut own = false;
        for s in &self.segs {
            match s {
                Seg::Lit { text, own: o } => {
                    run.push_str(text);
                    own |= *o;
                }
                Seg::Hole { .. } => {
                    if own {
                        out.push(std::mem::take(&mut run));
                    }
                    run.clear();
                    own = false;
                }
            }
        }
        if own {
            out.push(run);
        }
        out
    }

    /// The part after the first `=` (for an assignment word whose name is literal).
    fn after_prefix(&self, prefix_chars: usize) -> Expanded {
        let mut out = Expanded {
            has_own_text: self.has_own_text,
            ..Default::default()
        };
        let mut skip = prefix_chars;
        for s in &self.segs {
            match s {
                Seg::Lit { text, own } if skip > 0 => {
                    let n = text.chars().count();
                    if n <= skip {
                        skip -= n;
                    } else {
                        let rest: String = text.chars().skip(skip).collect();
                        skip = 0;
                        out.push_text(&rest, *own);
                    }
                }
                other => out.segs.push(other.clone()),
            }
        }
        out
    }
}

/// What a variable holds when the export line runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Var {
    /// Set by the script to this value before the export.
    Known(String),
    /// Set at run time to something not known in advance (e.g. `TRAVIS_TMPDIR`).
    Unknown,
}

/// What `export NAME=<raw>` does, as far as it can be known before the job runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportEval {
    /// The value `NAME` gets. `None` when the line does not set it (a syntax error stops
    /// the whole line, or the value is an array `(…)`).
    pub value: Option<Expanded>,
    /// Every other word the line produces (further arguments of `export`, the words of
    /// commands after a newline or `;`), expanded. For `X=v` words this is `v`.
    pub words: Vec<Expanded>,
}

/// Emulate `eval "export NAME=<raw>"` with `vars` telling what the shell variables hold
/// (`None`: not set by the script, most likely unset).
pub fn eval_export(name: &str, raw: &str, vars: &dyn Fn(&str) -> Option<Var>) -> ExportEval {
    let line = join_continued_lines(&format!("export {name}={raw}"));
    let (commands, array_value) = lex(&line);
    let mut out = ExportEval::default();
    let prefix = format!("{name}=");
    for (ci, cmd) in commands.iter().enumerate() {
        for (wi, word) in cmd.iter().enumerate() {
            if ci == 0 && wi == 0 {
                continue; // `export`
            }
            let alternatives = match brace_expand(word, 0) {
                Some(a) => a,
                None => {
                    // A sequence expression: not followed, the word is a hole.
                    let mut e = Expanded::default();
                    e.hole(None);
                    out.words.push(e);
                    continue;
                }
            };
            // A word that brace expansion split is no longer an assignment to bash's
            // parser: no `~` expansion after its `=` or `:`.
            let assign_tilde = alternatives.len() == 1;
            for alt in alternatives {
                let assign = assignment_prefix(&alt);
                let e = expand(&alt, assign, assign_tilde, vars);
                match assign {
                    Some(n) => {
                        let v = e.after_prefix(n);
                        let is_name = ci == 0 && alt.iter().take(n).copied().eq(prefix.chars());
                        if is_name {
                            if let Some(prev) = out.value.replace(v) {
                                out.words.push(prev);
                            }
                        } else {
                            out.words.push(v);
                        }
                    }
                    None => out.words.push(e),
                }
            }
        }
    }
    if array_value {
        if let Some(prev) = out.value.take() {
            out.words.push(prev);
        }
    }
    out
}

/// `w[a..b]` as a string, with both ends clamped (never panics).
fn sub(w: &[char], a: usize, b: usize) -> String {
    let b = b.min(w.len());
    w[a.min(b)..b].iter().collect()
}

/// Remove each backslash-newline outside single quotes: bash joins those lines before it
/// reads any token (`a$\<newline>$b` is `a$$b`).
fn join_continued_lines(line: &str) -> Vec<char> {
    let s: Vec<char> = line.chars().collect();
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    // Inside: None, Some('\'') single quotes, Some('$') `$'…'`, Some('"') double quotes.
    let mut inside: Option<char> = None;
    while i < s.len() {
        let c = s[i];
        match (inside, c) {
            (Some('\''), '\'') => inside = None,
            (Some('\''), _) => {}
            // A line continuation, except inside `$'…'` where the backslash escapes.
            (_, '\\') if inside != Some('$') && s.get(i + 1) == Some(&'\n') => {
                i += 2;
                continue;
            }
            (_, '\\') => {
                out.push(c);
                i += 1;
                if let Some(&n) = s.get(i) {
                    out.push(n);
                    i += 1;
                }
                continue;
            }
            (Some('$'), '\'') => inside = None,
            (Some('$'), _) => {}
            (Some('"'), '"') => inside = None,
            (Some(_), _) => {}
            (None, '\'') => inside = Some('\''),
            (None, '"') => inside = Some('"'),
            (None, '$') if s.get(i + 1) == Some(&'\'') => {
                out.push(c);
                out.push('\'');
                i += 2;
                inside = Some('$');
                continue;
            }
            (None, _) => {}
        }
        out.push(c);
        i += 1;
    }
    out
}

/// `NAME=` at the start of a raw word: the number of characters up to and including `=`.
fn assignment_prefix(w: &[char]) -> Option<usize> {
    let first = *w.first()?;
    if !(first.is_ascii_alphabetic() || first == '_') {
        return None;
    }
    let mut i = 1;
    while i < w.len() && (w[i].is_ascii_alphanumeric() || w[i] == '_') {
        i += 1;
    }
    (i < w.len() && w[i] == '=').then_some(i + 1)
}

const OPERATOR: &[char] = &['\n', ';', '&', '|', '(', ')'];

/// Split a command line into commands of raw words (quotes kept). A construct left open
/// (quote, `${`, `$(`, backquote) is a syntax error: bash runs nothing of the line it is
/// on, so the commands from that line on are dropped. Also says whether the first
/// command's second word is an array assignment `NAME=(…)`.
fn lex(s: &[char]) -> (Vec<Vec<Vec<char>>>, bool) {
    let mut commands: Vec<Vec<Vec<char>>> = Vec::new();
    let mut cmd: Vec<Vec<char>> = Vec::new();
    let mut cur: Vec<char> = Vec::new();
    let mut in_word = false;
    // Commands complete before the current line started.
    let mut done_before_line = 0usize;
    let mut array_value = false;
    let mut i = 0;
    macro_rules! end_word {
        () => {
            if in_word {
                cmd.push(std::mem::take(&mut cur));
                in_word = false;
            }
        };
    }
    while i < s.len() {
        let c = s[i];
        match c {
            ' ' | '\t' | '<' | '>' => {
                end_word!();
                i += 1;
            }
            c if OPERATOR.contains(&c) => {
                if c == '('
                    && commands.is_empty()
                    && cmd.len() == 1
                    && in_word
                    && assignment_prefix(&cur) == Some(cur.len())
                {
                    array_value = true;
                }
                end_word!();
                if cmd.is_empty() && matches!(c, ';' | '&' | '|' | ')') {
                    // `;;`, a leading `;`: a syntax error, nothing of the line runs.
                    commands.truncate(done_before_line);
                    return (commands, array_value && done_before_line > 0);
                }
                if !cmd.is_empty() {
                    commands.push(std::mem::take(&mut cmd));
                }
                if c == '\n' {
                    done_before_line = commands.len();
                }
                i += 1;
            }
            '#' if !in_word => {
                while i < s.len() && s[i] != '\n' {
                    i += 1;
                }
            }
            _ => {
                let next = match c {
                    '\\' if s.get(i + 1) == Some(&'\n') => {
                        // Line continuation: removed, even inside a word.
                        i += 2;
                        continue;
                    }
                    '\\' => Some((i + 2).min(s.len())),
                    '\'' => scan_sq(s, i),
                    '"' => scan_dq(s, i),
                    '$' => scan_dollar(s, i, false),
                    '`' => scan_bq(s, i),
                    _ => Some(i + 1),
                };
                let Some(next) = next else {
                    commands.truncate(done_before_line);
                    return (commands, array_value && done_before_line > 0);
                };
                cur.extend_from_slice(&s[i..next]);
                in_word = true;
                i = next;
            }
        }
    }
    if in_word {
        cmd.push(cur);
    }
    if !cmd.is_empty() {
        commands.push(cmd);
    }
    (commands, array_value)
}

/// `'…'` starting at `i`: the index after the closing quote.
fn scan_sq(s: &[char], i: usize) -> Option<usize> {
    let end = s[i + 1..].iter().position(|&c| c == '\'')?;
    Some(i + 1 + end + 1)
}

/// `"…"` starting at `i`.
fn scan_dq(s: &[char], mut i: usize) -> Option<usize> {
    i += 1;
    while i < s.len() {
        match s[i] {
            '\\' => i += 2,
            '"' => return Some(i + 1),
            '$' => i = scan_dollar(s, i, true)?,
            '`' => i = scan_bq(s, i)?,
            _ => i += 1,
        }
    }
    None
}

/// `` `…` `` starting at `i`.
fn scan_bq(s: &[char], i: usize) -> Option<usize> {
    scan_escaped_until(s, i, '`')
}

/// `$'…'` with the index `i` at its quote.
fn scan_ansi(s: &[char], i: usize) -> Option<usize> {
    scan_escaped_until(s, i, '\'')
}

/// From the opening `close` at `i` to just past the next unescaped `close` (a backslash
/// escapes the next character).
fn scan_escaped_until(s: &[char], mut i: usize, close: char) -> Option<usize> {
    i += 1;
    while i < s.len() {
        match s[i] {
            '\\' => i += 2,
            c if c == close => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// A `$` construct at `i`; `in_dq`: inside double quotes (where `$'` and `$"` are plain).
fn scan_dollar(s: &[char], i: usize, in_dq: bool) -> Option<usize> {
    match s.get(i + 1) {
        Some('{') => scan_param(s, i + 1),
        Some('(') => scan_parens(s, i + 1),
        Some('\'') if !in_dq => scan_ansi(s, i + 1),
        Some('"') if !in_dq => scan_dq(s, i + 1),
        // `$$`, `$'`… : a special parameter, whose second character starts nothing.
        Some(&c) if is_special_param(c) => Some(i + 2),
        _ => Some(i + 1),
    }
}

/// The one-character special parameters and positional parameters (`$$`, `$1`, …).
fn is_special_param(c: char) -> bool {
    c.is_ascii_digit() || "@*#?-$!".contains(c)
}

/// `{…}` of a `${…}`, with `i` at `{`: ends at the first `}` outside quotes and nested
/// constructs (bash does not nest plain braces here).
fn scan_param(s: &[char], mut i: usize) -> Option<usize> {
    i += 1;
    while i < s.len() {
        match s[i] {
            '\\' => i += 2,
            '\'' => i = scan_sq(s, i)?,
            '"' => i = scan_dq(s, i)?,
            '$' => i = scan_dollar(s, i, false)?,
            '`' => i = scan_bq(s, i)?,
            '}' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// `(…)` of `$(…)` or `$((…))`, with `i` at the first `(`.
fn scan_parens(s: &[char], mut i: usize) -> Option<usize> {
    let mut depth = 0usize;
    while i < s.len() {
        match s[i] {
            '\\' => i += 2,
            '\'' => i = scan_sq(s, i)?,
            '"' => i = scan_dq(s, i)?,
            '$' => i = scan_dollar(s, i, false)?,
            '`' => i = scan_bq(s, i)?,
            '(' => {
                depth += 1;
                i += 1;
            }
            ')' => {
                depth = depth.saturating_sub(1);
                i += 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// Skip one quoted or `$` construct at `i` inside a raw word (for brace expansion);
/// returns the index after it, or `None` when `s[i]` starts none.
fn skip_construct(s: &[char], i: usize) -> Option<usize> {
    let end = match s[i] {
        '\\' => i + 2,
        '\'' => scan_sq(s, i).unwrap_or(s.len()),
        '"' => scan_dq(s, i).unwrap_or(s.len()),
        '`' => scan_bq(s, i).unwrap_or(s.len()),
        '$' if matches!(s.get(i + 1), Some('{' | '(' | '\'' | '"')) => {
            scan_dollar(s, i, false).unwrap_or(s.len())
        }
        _ => return None,
    };
    Some(end.min(s.len()))
}

/// Bash's brace expansion of a raw word: `S={a,b}c` → `S=ac`, `S=bc`. `None` for a
/// sequence expression (`{1..3}`), which is not followed.
fn brace_expand(w: &[char], depth: usize) -> Option<Vec<Vec<char>>> {
    // Each level at least doubles the words: beyond this, give up (a hole) rather than
    // produce thousands of words or recurse deeply.
    if depth > 8 {
        return None;
    }
    let mut i = 0;
    while i < w.len() {
        if let Some(next) = skip_construct(w, i) {
            i = next;
            continue;
        }
        if w[i] == '{' {
            if let Some((close, commas)) = match_brace(w, i) {
                if !commas.is_empty() {
                    let mut out = Vec::new();
                    let mut start = i + 1;
                    for end in commas.iter().copied().chain(std::iter::once(close)) {
                        let mut alt: Vec<char> = w[..i].to_vec();
                        alt.extend_from_slice(&w[start..end]);
                        alt.extend_from_slice(&w[close + 1..]);
                        out.extend(brace_expand(&alt, depth + 1)?);
                        if out.len() > 256 {
                            return None;
                        }
                        start = end + 1;
                    }
                    return Some(out);
                }
                if is_sequence(&w[i + 1..close]) {
                    return None;
                }
            }
        }
        i += 1;
    }
    Some(vec![w.to_vec()])
}

/// The `}` matching the `{` at `open`, and the commas at its top level.
fn match_brace(w: &[char], open: usize) -> Option<(usize, Vec<usize>)> {
    let mut depth = 0usize;
    let mut commas = Vec::new();
    let mut i = open + 1;
    while i < w.len() {
        if let Some(next) = skip_construct(w, i) {
            i = next;
            continue;
        }
        match w[i] {
            '{' => depth += 1,
            '}' if depth == 0 => return Some((i, commas)),
            '}' => depth -= 1,
            ',' if depth == 0 => commas.push(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// `a..e`, `1..10`, `1..10..2`: bash's sequence expressions.
fn is_sequence(inner: &[char]) -> bool {
    let text: String = inner.iter().collect();
    let parts: Vec<&str> = text.split("..").collect();
    let int = |p: &str| {
        let p = p.strip_prefix(['-', '+']).unwrap_or(p);
        !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())
    };
    let ch = |p: &str| p.chars().count() == 1 && p.chars().all(|c| c.is_ascii_alphabetic());
    match parts.as_slice() {
        [a, b] => (int(a) && int(b)) || (ch(a) && ch(b)),
        [a, b, c] => ((int(a) && int(b)) || (ch(a) && ch(b))) && int(c),
        _ => false,
    }
}

/// Expand one brace-expanded raw word. `assign`: length of its `NAME=` prefix, which
/// (with `assign_tilde`) makes `~` expand after `=` and after each unquoted `:`.
fn expand(
    w: &[char],
    assign: Option<usize>,
    assign_tilde: bool,
    vars: &dyn Fn(&str) -> Option<Var>,
) -> Expanded {
    let mut out = Expanded::default();
    let mut i = 0;
    let mut tilde_ok = assign.is_none();
    while i < w.len() {
        if assign_tilde && assign == Some(i) {
            tilde_ok = true;
        }
        let c = w[i];
        if c == '~' && tilde_ok {
            tilde_ok = false;
            if let Some(next) = tilde(w, i, assign.is_some(), vars, &mut out) {
                i = next;
                continue;
            }
        }
        tilde_ok = false;
        match c {
            '\\' => {
                match w.get(i + 1) {
                    Some('\n') => {}
                    Some(&n) => out.push_char(n),
                    // A backslash ending the whole line: bash keeps it, except after a
                    // multi-line quoted string. Not followed.
                    None => out.hole(None),
                }
                i += 2;
            }
            '\'' => {
                let end = scan_sq(w, i).unwrap_or(w.len());
                out.push_str(&sub(w, i + 1, end.saturating_sub(1)));
                i = end;
            }
            '"' => i = expand_dq(w, i, vars, &mut out),
            '$' => i = expand_dollar(w, i, false, vars, &mut out),
            '`' => {
                out.hole(None);
                i = scan_bq(w, i).unwrap_or(w.len());
            }
            ':' if assign_tilde && assign.is_some_and(|n| i >= n) => {
                out.push_char(':');
                i += 1;
                tilde_ok = true;
            }
            _ if assign.is_some_and(|n| i < n) => {
                // The `NAME=` of an assignment is not part of its value.
                let mut b = [0u8; 4];
                out.push_var(c.encode_utf8(&mut b));
                i += 1;
            }
            _ => {
                out.push_char(c);
                i += 1;
            }
        }
    }
    out
}

/// A tilde prefix at `i` (`~`, `~/x`, `~user/x`): expands into `out` and returns the
/// index after the prefix, or `None` when it stays a literal `~`.
fn tilde(
    w: &[char],
    i: usize,
    assign: bool,
    vars: &dyn Fn(&str) -> Option<Var>,
    out: &mut Expanded,
) -> Option<usize> {
    let mut end = i + 1;
    while end < w.len() && w[end] != '/' && !(assign && w[end] == ':') {
        end += 1;
    }
    let user = sub(w, i + 1, end);
    if user.is_empty() {
        match vars("HOME") {
            Some(Var::Known(h)) => out.push_var(&h),
            _ => out.hole(None),
        }
        return Some(end);
    }
    if user
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_.-+".contains(c))
    {
        // `~user` is that user's home if the user exists, else literal text.
        out.hole(Some(format!("~{user}")));
        out.has_own_text = true;
        return Some(end);
    }
    None
}

/// `"…"` at `i`.
fn expand_dq(
    w: &[char],
    mut i: usize,
    vars: &dyn Fn(&str) -> Option<Var>,
    out: &mut Expanded,
) -> usize {
    i += 1;
    while i < w.len() {
        match w[i] {
            '"' => return i + 1,
            '\\' => match w.get(i + 1) {
                Some('\n') => i += 2,
                Some(&n) if "$`\"\\".contains(n) => {
                    out.push_char(n);
                    i += 2;
                }
                _ => {
                    out.push_char('\\');
                    i += 1;
                }
            },
            '$' => i = expand_dollar(w, i, true, vars, out),
            '`' => {
                out.hole(None);
                i = scan_bq(w, i).unwrap_or(w.len());
            }
            c => {
                out.push_char(c);
                i += 1;
            }
        }
    }
    i
}

fn lookup(name: &str, vars: &dyn Fn(&str) -> Option<Var>, out: &mut Expanded) {
    match vars(name) {
        Some(Var::Known(v)) => out.push_var(&v),
        Some(Var::Unknown) => out.hole(None),
        None => out.hole(Some(String::new())),
    }
}

/// A `$` construct at `i`.
fn expand_dollar(
    w: &[char],
    i: usize,
    in_dq: bool,
    vars: &dyn Fn(&str) -> Option<Var>,
    out: &mut Expanded,
) -> usize {
    match w.get(i + 1) {
        Some('{') => {
            let end = scan_param(w, i + 1).unwrap_or(w.len());
            let inner = sub(w, i + 2, end.saturating_sub(1));
            if is_name(&inner) && inner != "_" {
                lookup(&inner, vars, out);
            } else {
                out.hole(None);
            }
            end
        }
        Some('(') => {
            out.hole(None);
            scan_parens(w, i + 1).unwrap_or(w.len())
        }
        Some('\'') if !in_dq => {
            let end = scan_ansi(w, i + 1).unwrap_or(w.len());
            let inner: Vec<char> = sub(w, i + 2, end.saturating_sub(1)).chars().collect();
            match ansi_c(&inner) {
                Some(t) => out.push_str(&t),
                None => out.hole(None),
            }
            end
        }
        Some('"') if !in_dq => expand_dq(w, i + 1, vars, out),
        Some(&c) if c.is_ascii_alphabetic() || c == '_' => {
            let mut end = i + 1;
            while end < w.len() && (w[end].is_ascii_alphanumeric() || w[end] == '_') {
                end += 1;
            }
            let name = sub(w, i + 1, end);
            if name == "_" {
                out.hole(None);
            } else {
                lookup(&name, vars, out);
            }
            end
        }
        Some(&c) if is_special_param(c) => {
            out.hole(None);
            i + 2
        }
        _ => {
            out.push_char('$');
            i + 1
        }
    }
}

fn is_name(s: &str) -> bool {
    crate::secrets::valid_name(s)
}

/// The text of `$'…'` (without the quotes), or `None` for escapes not followed
/// (`\c`, a NUL, anything beyond ASCII by number: bytes that may not be UTF-8, and `\u`
/// whose result depends on the locale).
fn ansi_c(s: &[char]) -> Option<String> {
    let mut out = String::new();
    let mut i = 0;
    let digits = |i: usize, max: usize, radix: u32| -> (u32, usize) {
        let mut v = 0u32;
        let mut n = 0;
        while n < max {
            match s.get(i + n).and_then(|c| c.to_digit(radix)) {
                Some(d) => {
                    v = v * radix + d;
                    n += 1;
                }
                None => break,
            }
        }
        (v, n)
    };
    while i < s.len() {
        if s[i] != '\\' {
            out.push(s[i]);
            i += 1;
            continue;
        }
        let Some(&e) = s.get(i + 1) else {
            out.push('\\');
            break;
        };
        i += 2;
        let simple = match e {
            'a' => Some('\x07'),
            'b' => Some('\x08'),
            'e' | 'E' => Some('\x1b'),
            'f' => Some('\x0c'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            'v' => Some('\x0b'),
            '\\' | '\'' | '"' | '?' => Some(e),
            _ => None,
        };
        if let Some(c) = simple {
            out.push(c);
            continue;
        }
        let (value, used) = match e {
            '0'..='7' => {
                let (v, n) = digits(i - 1, 3, 8);
                (v, n.saturating_sub(1))
            }
            'x' => digits(i, 2, 16),
            'u' => digits(i, 4, 16),
            'U' => digits(i, 8, 16),
            'c' => return None,
            other => {
                out.push('\\');
                out.push(other);
                continue;
            }
        };
        if matches!(e, 'x' | 'u' | 'U') && used == 0 {
            out.push('\\');
            out.push(e);
            continue;
        }
        i += used;
        // A NUL ends the string in bash; a byte >= 0x80 from \x or octal is not UTF-8;
        // and what \u gives beyond ASCII depends on the job's locale.
        if value == 0 || value >= 0x80 {
            return None;
        }
        out.push(char::from_u32(value)?);
    }
    Some(out)
}

impl ExportEval {
    /// Every text to mask for this export: the value and each other word when known,
    /// else their literal pieces and their guessed form. Never the `$…` text of a hole,
    /// and never a word made only of other variables (`export S=abc $HOME` does not
    /// make the home directory a secret).
    pub fn mask_texts(&self) -> Vec<String> {
        let mut out = Vec::new();
        let words = self.words.iter().filter(|w| w.has_own_text);
        for e in self.value.iter().chain(words) {
            if let Some(k) = e.known() {
                out.push(k);
                continue;
            }
            out.extend(e.pieces());
            if let Some(g) = e.guessed() {
                out.push(g);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(name: &str) -> Option<Var> {
        match name {
            "HOME" => Some(Var::Known("/home/travis".into())),
            "TRAVIS_OS_NAME" => Some(Var::Unknown),
            _ => None,
        }
    }

    fn value(raw: &str) -> Option<String> {
        eval_export("S", raw, &vars).value.and_then(|v| v.known())
    }

    #[test]
    fn quoting_and_escapes() {
        assert_eq!(value(r"'it'\''s $HOME'").as_deref(), Some("it's $HOME"));
        assert_eq!(value(r#""a\b\$c""#).as_deref(), Some(r"a\b$c"));
        assert_eq!(value(r"p\$ss\ word").as_deref(), Some("p$ss word"));
        assert_eq!(value("$HOME/x").as_deref(), Some("/home/travis/x"));
        assert_eq!(
            value("~/x:~/y").as_deref(),
            Some("/home/travis/x:/home/travis/y")
        );
        assert_eq!(value(r"$'a\x41\u0042é\n'").as_deref(), Some("aABé\n"));
        assert_eq!(value("a$").as_deref(), Some("a$"));
        assert_eq!(value("ab#c #d").as_deref(), Some("ab#c"));
        assert_eq!(value("{a,b}c").as_deref(), Some("bc"));
        assert_eq!(value("~/{a,bc}").as_deref(), Some("~/bc"));
    }

    #[test]
    fn words_and_holes() {
        let e = eval_export("S", "hunter2 more words", &vars);
        assert_eq!(e.value.and_then(|v| v.known()).as_deref(), Some("hunter2"));
        let words: Vec<_> = e.words.iter().filter_map(Expanded::known).collect();
        assert_eq!(words, ["more", "words"]);
        let e = eval_export("S", "abc${NOPE}def$(date)ghi", &vars);
        let v = e.value.unwrap_or_default();
        assert_eq!(v.pieces(), ["abc", "def", "ghi"]);
        // A piece that is only a variable's value is not the secret's text.
        let e = eval_export("S", "\"$HOME${}\"", &vars);
        assert_eq!(e.mask_texts(), Vec::<String>::new());
        assert_eq!(v.guessed(), None);
        let e = eval_export("S", "abc${NOPE}def", &vars);
        assert_eq!(e.mask_texts(), ["abc", "def", "abcdef"]);
        // An unterminated quote: bash runs nothing of the line.
        assert_eq!(eval_export("S", "abc 'x", &vars), ExportEval::default());
        assert_eq!(value("abc\necho 'x").as_deref(), Some("abc"));
    }
}
