//! YAML → span-carrying node tree.
//!
//! One job: turn text into [`Node`]s that know their byte range, keep every scalar's
//! cooked text and style, and resolve scalars the way travis-yml's Psych loader does
//! (`yes`/`no`/`on`/`off` and floats stay strings, integers become integers, keys are
//! always strings). Anchors, aliases and `<<` merge keys are expanded here; duplicate
//! keys are recorded (last value wins) so the decoder can report `duplicate_key`.
//! Built on `saphyr-parser`'s event stream (see README for why).

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError};
use std::collections::{HashMap, HashSet};

/// Byte range into the original text (start inclusive, end exclusive).
pub type Span = (usize, usize);

/// How a scalar was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

impl Style {
    fn from_saphyr(s: ScalarStyle) -> Self {
        match s {
            ScalarStyle::Plain => Style::Plain,
            ScalarStyle::SingleQuoted => Style::SingleQuoted,
            ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
            ScalarStyle::Literal => Style::Literal,
            ScalarStyle::Folded => Style::Folded,
        }
    }
}

/// A resolved scalar, following travis-yml's scalar scanner.
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
}

/// A mapping key: always a string (Psych keys are stringified, a leading `:` dropped).
#[derive(Clone, Debug)]
pub struct Key {
    pub name: String,
    pub span: Span,
    /// Whether this key's value carried an anchor (`key: &name ...`).
    pub anchored: bool,
}

#[derive(Clone, Debug)]
pub enum Value {
    Scalar {
        value: Scalar,
        /// The cooked text as written (after unquoting / block folding) when `value` is
        /// not a string (`yes`-like words, numbers, null); empty for strings, whose text is
        /// `value` itself. Use [`Node::scalar_text`].
        text: String,
        style: Style,
        tag: Option<String>,
    },
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

#[derive(Clone, Debug)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

impl Node {
    pub fn null(span: Span) -> Node {
        Node {
            value: Value::Scalar {
                value: Scalar::Null,
                text: String::new(),
                style: Style::Plain,
                tag: None,
            },
            span,
        }
    }
    /// The cooked text of a scalar as written (`3.10`, `on`, `~`), None for collections.
    pub fn scalar_text(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar {
                value: Scalar::Str(s),
                ..
            } => Some(s),
            Value::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(
            self.value,
            Value::Scalar {
                value: Scalar::Null,
                ..
            }
        )
    }
    pub fn as_map(&self) -> Option<&Vec<(Key, Node)>> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }
    /// Plain JSON view of this node (no schema applied).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Scalar { value, .. } => match value {
                Scalar::Null => J::Null,
                Scalar::Bool(b) => J::Bool(*b),
                Scalar::Int(i) => J::from(*i),
                Scalar::Str(s) => J::String(s.clone()),
            },
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => {
                let mut m = serde_json::Map::new();
                for (k, v) in entries {
                    m.insert(k.name.clone(), v.to_json());
                }
                J::Object(m)
            }
        }
    }
}

/// A duplicate key found while loading: the map's span, and the key.
#[derive(Clone, Debug)]
pub struct Duplicate {
    pub key: String,
    pub span: Span,
    /// Span of the mapping that holds it.
    pub map_span: Span,
}

/// Result of loading a document.
#[derive(Debug)]
pub struct Document {
    /// None for an empty document.
    pub root: Option<Node>,
    pub duplicates: Vec<Duplicate>,
    /// Key names whose value carried an anchor, anywhere in the document.
    pub anchored_keys: Vec<String>,
}

/// An invalid-YAML error, with a byte offset and 1-based line/column.
#[derive(Clone, Debug, PartialEq)]
pub struct YamlError {
    pub message: String,
    pub offset: usize,
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} at line {} column {}",
            self.message, self.line, self.column
        )
    }
}

/// Maps saphyr's (line, column-in-chars) markers to byte offsets.
pub struct LineIndex {
    starts: Vec<usize>,
    ascii: bool,
    /// The last (line index, char column, byte offset) resolved by [`LineIndex::offset`]
    /// in non-ASCII text: the parser's markers move forward, so the next one on the same
    /// line is found from there (not by re-counting the line's characters from its start,
    /// which is quadratic on a long one-line flow collection).
    last: std::cell::Cell<(usize, usize, usize)>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        let b = text.as_bytes();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'\n' => starts.push(i + 1),
                b'\r' if b.get(i + 1) != Some(&b'\n') => starts.push(i + 1),
                _ => {}
            }
            i += 1;
        }
        LineIndex {
            starts,
            ascii: text.is_ascii(),
            last: std::cell::Cell::new((usize::MAX, 0, 0)),
        }
    }
    /// Byte offset of (1-based line, 0-based char column), clamped to the text.
    pub fn offset(&self, text: &str, line: usize, col: usize) -> usize {
        let l = line.max(1) - 1;
        let Some(&start) = self.starts.get(l) else {
            return text.len();
        };
        if self.ascii {
            return (start + col).min(text.len());
        }
        let (last_line, last_col, last_byte) = self.last.get();
        let (from_col, from_byte) = if last_line == l && last_col <= col {
            (last_col, last_byte)
        } else {
            (0, start)
        };
        match text
            .get(from_byte..)
            .and_then(|rest| rest.char_indices().nth(col - from_col))
        {
            Some((i, _)) => {
                self.last.set((l, col, from_byte + i));
                from_byte + i
            }
            None => text.len(),
        }
    }
    /// 1-based (line, column in chars) of a byte offset.
    pub fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let line = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.starts[line];
        let col = text
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(offset - start);
        (line + 1, col + 1)
    }
    pub fn line_start(&self, line1: usize) -> Option<usize> {
        self.starts.get(line1.checked_sub(1)?).copied()
    }
    pub fn line_count(&self) -> usize {
        self.starts.len()
    }
}

enum Frame {
    Seq {
        items: Vec<Node>,
        start: usize,
        anchor: usize,
    },
    Map {
        entries: Vec<(Key, Node)>,
        pending_key: Option<Key>,
        start: usize,
        anchor: usize,
        /// Keys written explicitly so far (for `duplicate_key`).
        seen: HashSet<String>,
        /// Position in `entries` of each key (explicit or merged in).
        slots: HashMap<String, usize>,
        merges: Vec<Node>,
    },
}

/// Resolve a plain scalar the way travis-yml's Psych scanner does.
pub fn resolve_plain(s: &str) -> Scalar {
    classify(s).unwrap_or_else(|| Scalar::Str(s.to_string()))
}

/// `None` when `s` stays the plain string it is.
fn classify(s: &str) -> Option<Scalar> {
    if s.is_empty() || s == "~" || s.eq_ignore_ascii_case("null") {
        return Some(Scalar::Null);
    }
    // fast path: most scalars are words or commands
    let first = s.as_bytes()[0];
    if !(first.is_ascii_digit()
        || matches!(first, b'-' | b'+' | b'.' | b':' | b't' | b'T' | b'f' | b'F'))
    {
        return None;
    }
    if is_float(s) {
        return None;
    }
    // travis-yml keeps anything containing yes/no/on/off as a string (unanchored regex)
    if s.contains("yes") || s.contains("no") || s.contains("on") || s.contains("off") {
        return None;
    }
    if s.len() <= 5 {
        if s.eq_ignore_ascii_case("true") {
            return Some(Scalar::Bool(true));
        }
        if s.eq_ignore_ascii_case("false") {
            return Some(Scalar::Bool(false));
        }
    }
    if let Some(i) = parse_int(s) {
        return Some(Scalar::Int(i));
    }
    if let Some(rest) = s.strip_prefix(':') {
        if !rest.is_empty() && !rest.starts_with(':') && !rest.contains(' ') {
            return Some(Scalar::Str(rest.to_string()));
        }
    }
    None
}

fn is_float(s: &str) -> bool {
    // [-+]?([0-9][0-9_,]*)?\.[0-9]*([eE][-+][0-9]+)?  |  [-+]?\.inf  |  \.nan
    let t = s.trim_start_matches(['-', '+']);
    if t.eq_ignore_ascii_case(".inf") || s.eq_ignore_ascii_case(".nan") {
        return true;
    }
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    if i < b.len() && b[i].is_ascii_digit() {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_' || b[i] == b',') {
            i += 1;
        }
    }
    if i >= b.len() || b[i] != b'.' {
        return false;
    }
    i += 1;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        } else {
            return false;
        }
        let d = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if d == i {
            return false;
        }
    }
    i == b.len()
}

fn parse_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() || !body.as_bytes()[0].is_ascii_digit() {
        return None;
    }
    let clean: String = body.chars().filter(|c| *c != '_' && *c != ',').collect();
    let v = if let Some(h) = body.strip_prefix("0x") {
        if h.is_empty()
            || !h
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == '_' || c == ',')
        {
            return None;
        }
        i64::from_str_radix(&clean[2..], 16).ok()?
    } else if let Some(bn) = body.strip_prefix("0b") {
        if bn.is_empty()
            || !bn
                .chars()
                .all(|c| c == '0' || c == '1' || c == '_' || c == ',')
        {
            return None;
        }
        i64::from_str_radix(&clean[2..], 2).ok()?
    } else if body.len() > 1 && body.starts_with('0') {
        if !body[1..]
            .chars()
            .all(|c| ('0'..='7').contains(&c) || c == '_' || c == ',')
        {
            return None;
        }
        i64::from_str_radix(&clean, 8).ok()?
    } else {
        // base 10: 0 | [1-9]([0-9]|,[0-9]|_[0-9])*
        let bb = body.as_bytes();
        if !bb[0].is_ascii_digit() {
            return None;
        }
        let mut prev_sep = false;
        for &c in &bb[1..] {
            if c == b'_' || c == b',' {
                if prev_sep {
                    return None;
                }
                prev_sep = true;
            } else if c.is_ascii_digit() {
                prev_sep = false;
            } else {
                return None;
            }
        }
        if prev_sep {
            return None;
        }
        clean.parse::<i64>().ok()?
    };
    Some(if neg { -v } else { v })
}

/// Prepare text like travis-yml does before parsing: drop a BOM, turn a leading NBSP into
/// a space. Returns the text handed to the parser and the byte shift added at the front.
fn prepare(text: &str) -> (std::borrow::Cow<'_, str>, usize) {
    let (body, shift) = match text.strip_prefix('\u{feff}') {
        Some(rest) => (rest, 3),
        None => (text, 0),
    };
    // travis-yml strips the document; only trailing whitespace matters for values (a final
    // block scalar loses its line break) and stripping it keeps every offset valid.
    (std::borrow::Cow::Borrowed(body.trim_end()), shift)
}

/// Load the first document of `text`.
pub fn load(text: &str) -> Result<Document, YamlError> {
    // travis-yml reads an alias to an unknown anchor as null; saphyr-parser rejects it.
    // Blank such aliases out (same length, so every offset stays valid) and parse again.
    let mut owned: Option<String> = None;
    for _ in 0..64 {
        let cur = owned.as_deref().unwrap_or(text);
        match load_once(cur) {
            Err(e) if e.message.contains("unknown anchor") => {
                let b = cur.as_bytes();
                let Some(star) = (0..=e.offset.min(b.len().saturating_sub(1)))
                    .rev()
                    .find(|&i| b[i] == b'*')
                else {
                    return Err(e);
                };
                let mut end = star + 1;
                while end < b.len() && !b[end].is_ascii_whitespace() && !b",[]{}".contains(&b[end])
                {
                    end += 1;
                }
                let mut next = cur.as_bytes().to_vec();
                next[star] = b'~';
                for c in next.iter_mut().take(end).skip(star + 1) {
                    *c = b' ';
                }
                match String::from_utf8(next) {
                    Ok(t) => owned = Some(t),
                    Err(_) => return Err(e),
                }
            }
            other => return other,
        }
    }
    load_once(owned.as_deref().unwrap_or(text))
}

fn load_once(text: &str) -> Result<Document, YamlError> {
    let (body, shift) = prepare(text);
    let index = LineIndex::new(&body);
    let body_ref: &str = &body;
    let to_off = |m: &saphyr_parser::Marker| index.offset(body_ref, m.line(), m.col()) + shift;
    let scan_err = |e: ScanError| {
        let m = e.marker();
        let offset = index.offset(body_ref, m.line(), m.col()) + shift;
        let lc = LineIndex::new(text).line_col(text, offset);
        YamlError {
            message: e.info().to_string(),
            offset,
            line: lc.0,
            column: lc.1,
        }
    };

    let mut parser = Parser::new_from_str(body_ref);
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut duplicates = Vec::new();
    let mut anchored_keys: Vec<String> = Vec::new();
    let mut root: Option<Node> = None;
    let mut docs = 0usize;
    let mut events = 0usize;

    while let Some(ev) = parser.next_event() {
        let (ev, span) = ev.map_err(scan_err)?;
        events += 1;
        if events > 5_000_000 {
            return Err(YamlError {
                message: "document too large".into(),
                offset: 0,
                line: 1,
                column: 1,
            });
        }
        let start = to_off(&span.start);
        let end = to_off(&span.end).max(start);
        let mut finished: Option<(Node, usize)> = None; // node + anchor id
        match ev {
            Event::StreamStart | Event::Nothing | Event::DocumentEnd => {}
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                docs += 1;
                if docs > 1 {
                    break;
                }
            }
            Event::Alias(id) => {
                let node = match anchors.get(&id) {
                    Some(n) => {
                        let mut n = n.clone();
                        n.span = (start, end);
                        n
                    }
                    None => Node::null((start, end)),
                };
                finished = Some((node, 0));
            }
            Event::Scalar(value, style, anchor, tag) => {
                let style = Style::from_saphyr(style);
                let tag_s = tag.map(|t| t.to_string());
                let mut text_s = value.to_string();
                // libyaml (and so travis-yml) gives a block scalar that ends the stream
                // without a final line break no trailing newline; saphyr adds one.
                if matches!(style, Style::Literal | Style::Folded)
                    && end >= body_ref.len() + shift
                    && !body_ref.ends_with('\n')
                    && text_s.ends_with('\n')
                {
                    text_s.pop();
                }
                let plain_str =
                    matches!(tag_s.as_deref(), Some(t) if t.ends_with(":str") || t == "!str");
                let classified = if style == Style::Plain && !plain_str {
                    classify(&text_s)
                } else {
                    None
                };
                // strings keep their text only once, in `value`
                let (resolved, text_s) = match classified {
                    Some(v) => (v, text_s),
                    None => (Scalar::Str(text_s), String::new()),
                };
                finished = Some((
                    Node {
                        value: Value::Scalar {
                            value: resolved,
                            text: text_s,
                            style,
                            tag: tag_s,
                        },
                        span: (start, end),
                    },
                    anchor,
                ));
            }
            Event::SequenceStart(anchor, _) => {
                if stack.len() > 512 {
                    return Err(YamlError {
                        message: "nesting too deep".into(),
                        offset: start,
                        line: 0,
                        column: 0,
                    });
                }
                stack.push(Frame::Seq {
                    items: Vec::new(),
                    start,
                    anchor,
                })
            }
            Event::MappingStart(anchor, _) => {
                if stack.len() > 512 {
                    return Err(YamlError {
                        message: "nesting too deep".into(),
                        offset: start,
                        line: 0,
                        column: 0,
                    });
                }
                stack.push(Frame::Map {
                    entries: Vec::new(),
                    pending_key: None,
                    start,
                    anchor,
                    seen: HashSet::new(),
                    slots: HashMap::new(),
                    merges: Vec::new(),
                })
            }
            Event::SequenceEnd => {
                if let Some(Frame::Seq {
                    items,
                    start: s,
                    anchor,
                }) = stack.pop()
                {
                    let e = items
                        .last()
                        .map(|n| n.span.1)
                        .unwrap_or(end)
                        .max(end)
                        .max(s);
                    finished = Some((
                        Node {
                            value: Value::Seq(items),
                            span: (s, e),
                        },
                        anchor,
                    ));
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map {
                    entries,
                    start: s,
                    anchor,
                    merges,
                    ..
                }) = stack.pop()
                {
                    let e = entries
                        .last()
                        .map(|(_, n)| n.span.1)
                        .unwrap_or(end)
                        .max(end)
                        .max(s);
                    let _ = merges;
                    finished = Some((
                        Node {
                            value: Value::Map(entries),
                            span: (s, e),
                        },
                        anchor,
                    ));
                }
            }
        }
        if let Some((node, anchor)) = finished {
            if anchor != 0 {
                anchors.insert(anchor, node.clone());
            }
            match stack.last_mut() {
                None => {
                    if root.is_none() {
                        root = Some(node);
                    }
                }
                Some(Frame::Seq { items, .. }) => items.push(node),
                Some(Frame::Map {
                    entries,
                    pending_key,
                    start: map_start,
                    seen,
                    slots,
                    ..
                }) => match pending_key.take() {
                    None => {
                        // this node is a key
                        let name = match &node.value {
                            Value::Scalar { text, value, .. } => {
                                let t = match value {
                                    Scalar::Str(s) => s.clone(),
                                    _ => text.clone(),
                                };
                                match t.strip_prefix(':') {
                                    Some(r) if !r.is_empty() => r.to_string(),
                                    _ => t,
                                }
                            }
                            _ => {
                                let lc = LineIndex::new(text).line_col(text, node.span.0);
                                return Err(YamlError {
                                    message:
                                        "unacceptable key (a mapping or sequence used as a key)"
                                            .into(),
                                    offset: node.span.0,
                                    line: lc.0,
                                    column: lc.1,
                                });
                            }
                        };
                        *pending_key = Some(Key {
                            name,
                            span: node.span,
                            anchored: false,
                        });
                    }
                    Some(mut key) => {
                        key.anchored = anchor != 0;
                        if key.anchored {
                            anchored_keys.push(key.name.clone());
                        }
                        if key.name == "<<" {
                            merge_into(entries, slots, &node);
                        } else {
                            if seen.contains(&key.name) {
                                duplicates.push(Duplicate {
                                    key: key.name.clone(),
                                    span: key.span,
                                    map_span: (*map_start, node.span.1),
                                });
                            } else {
                                seen.insert(key.name.clone());
                            }
                            insert(entries, slots, key, node);
                        }
                    }
                },
            }
        }
    }
    Ok(Document {
        root,
        duplicates,
        anchored_keys,
    })
}

/// Insert like a Ruby Hash: an existing key keeps its position and takes the new value.
/// `slots` holds the position of every key of `entries` (a lookup, not a scan, per key).
fn insert(
    entries: &mut Vec<(Key, Node)>,
    slots: &mut HashMap<String, usize>,
    key: Key,
    node: Node,
) {
    if let Some(slot) = slots.get(&key.name).and_then(|&i| entries.get_mut(i)) {
        slot.1 = node;
        slot.0.span = key.span;
        slot.0.anchored = key.anchored;
    } else {
        slots.insert(key.name.clone(), entries.len());
        entries.push((key, node));
    }
}

/// `<<: *x` or `<<: [*x, *y]`: Psych merges each map in (later explicit keys still win).
fn merge_into(entries: &mut Vec<(Key, Node)>, slots: &mut HashMap<String, usize>, node: &Node) {
    match &node.value {
        Value::Map(m) => {
            for (k, v) in m {
                insert(entries, slots, k.clone(), v.clone());
            }
        }
        Value::Seq(items) => {
            for it in items {
                if let Value::Map(m) = &it.value {
                    for (k, v) in m {
                        insert(entries, slots, k.clone(), v.clone());
                    }
                }
            }
        }
        _ => {}
    }
}

/// Parse a small YAML file into plain JSON (keys as strings, travis-yml scalar rules).
/// An empty document gives `null`.
pub fn yaml_to_json(text: &str) -> Result<serde_json::Value, String> {
    match load(text) {
        Ok(doc) => Ok(doc
            .root
            .map(|n| n.to_json())
            .unwrap_or(serde_json::Value::Null)),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_resolve_like_travis_yml() {
        assert_eq!(resolve_plain("3.10"), Scalar::Str("3.10".into()));
        assert_eq!(resolve_plain("on"), Scalar::Str("on".into()));
        assert_eq!(resolve_plain("yes"), Scalar::Str("yes".into()));
        assert_eq!(resolve_plain("true"), Scalar::Bool(true));
        assert_eq!(resolve_plain("False"), Scalar::Bool(false));
        assert_eq!(resolve_plain("12"), Scalar::Int(12));
        assert_eq!(resolve_plain("-3"), Scalar::Int(-3));
        assert_eq!(resolve_plain("0x1f"), Scalar::Int(31));
        assert_eq!(resolve_plain("~"), Scalar::Null);
        assert_eq!(resolve_plain("1.2.3"), Scalar::Str("1.2.3".into()));
        assert_eq!(resolve_plain(":sym"), Scalar::Str("sym".into()));
    }

    #[test]
    fn keys_spans_and_duplicates() {
        let doc = load("a: 1\nb: x\na: 2\n").unwrap();
        let root = doc.root.unwrap();
        let m = root.as_map().unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].0.name, "a");
        assert!(matches!(
            m[0].1.value,
            Value::Scalar {
                value: Scalar::Int(2),
                ..
            }
        ));
        assert_eq!(doc.duplicates.len(), 1);
        assert_eq!(m[1].0.span, (5, 6));
    }

    #[test]
    fn anchors_aliases_merge() {
        // unknown alias: null, like travis-yml
        let doc = load("a: *nope\nb: [*gone, x]\n").unwrap();
        assert_eq!(
            doc.root.unwrap().to_json(),
            serde_json::json!({"a": null, "b": [null, "x"]})
        );
        let doc = load("_x: &x\n  a: 1\n  b: 2\ny:\n  <<: *x\n  b: 3\nz: *x\n").unwrap();
        let j = doc.root.unwrap().to_json();
        assert_eq!(j["y"], serde_json::json!({"a": 1, "b": 3}));
        assert_eq!(j["z"], serde_json::json!({"a": 1, "b": 2}));
        assert_eq!(doc.anchored_keys, vec!["_x".to_string()]);
    }

    #[test]
    fn crlf_bom_non_ascii_offsets() {
        let text = "\u{feff}a: é\r\nbé: x\r\n";
        let doc = load(text).unwrap();
        let root = doc.root.unwrap();
        let m = root.as_map().unwrap();
        assert_eq!(&text[m[1].0.span.0..m[1].0.span.1], "bé");
        assert_eq!(&text[m[0].1.span.0..m[0].1.span.1], "é");
    }

    #[test]
    fn invalid_yaml_has_position() {
        let e = load("a: [1, 2\nb: c\n").unwrap_err();
        assert!(e.line >= 1);
    }
}
