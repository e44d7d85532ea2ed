//! YAML → span-carrying node tree.
//!
//! One job: turn text into [`Node`]s that know their byte range, keep every scalar's
//! cooked text and style, and resolve scalars the way travis-yml's Psych loader does
//! (`yes`/`no`/`on`/`off` and floats stay strings, integers become integers, keys are
//! always strings). Anchors, aliases and `<<` merge keys are expanded here; duplicate
//! keys are recorded (last value wins) so the decoder can report `duplicate_key`.
//! Built on `saphyr-parser`'s event stream (see README for why).

use crate::limits::{self, Limits};
use saphyr_parser::{Event, Parser, ScalarStyle, ScanError};
use std::collections::HashMap;

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

/// What kind of problem stopped the loader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The text is not valid YAML.
    Syntax,
    /// A resource limit (alias expansion, nesting depth, event count) was exceeded; see
    /// [`crate::limits`].
    Limit,
}

/// An invalid-YAML error, with a byte offset and 1-based line/column.
#[derive(Clone, Debug, PartialEq)]
pub struct YamlError {
    pub message: String,
    pub offset: usize,
    pub line: usize,
    pub column: usize,
    pub kind: ErrorKind,
    /// How to get past a limit (which variable raises it), when there is a way.
    pub help: Option<String>,
}

impl YamlError {
    /// A limit error at byte `offset` of `text` (the original text, BOM included).
    fn limit(text: &str, offset: usize, message: String, help: Option<String>) -> YamlError {
        let (line, column) = LineIndex::new(text).line_col(text, offset);
        YamlError {
            message,
            offset: offset.min(text.len()),
            line,
            column,
            kind: ErrorKind::Limit,
            help,
        }
    }
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

pub use travis_local_diag::LineIndex;

/// How much a subtree weighs once its aliases are expanded: nodes (keys included) and
/// bytes of scalar/key/tag text. Every anchor keeps the weight of its subtree, so an
/// alias is charged its full expansion before anything is cloned.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Weight {
    pub nodes: usize,
    pub bytes: usize,
}

impl Weight {
    fn add(&mut self, o: Weight) {
        self.nodes = self.nodes.saturating_add(o.nodes);
        self.bytes = self.bytes.saturating_add(o.bytes);
    }
}

/// A mapping being built: entries in order, a name → position index once it is big
/// enough to need one (so a merge or a long mapping stays linear), and whether each
/// entry's key was written in this mapping (duplicates) rather than merged in.
#[derive(Default)]
struct MapBuilder {
    entries: Vec<(Key, Node)>,
    explicit: Vec<bool>,
    index: HashMap<String, usize>,
}

impl MapBuilder {
    const INDEX_FROM: usize = 16;

    fn position(&mut self, name: &str) -> Option<usize> {
        if self.entries.len() < Self::INDEX_FROM {
            return self.entries.iter().position(|(k, _)| k.name == name);
        }
        // the index covers entries[..index.len()]; entries are only ever appended
        for i in self.index.len()..self.entries.len() {
            self.index.insert(self.entries[i].0.name.clone(), i);
        }
        self.index.get(name).copied()
    }

    /// Insert like a Ruby Hash: an existing key keeps its position and takes the new
    /// value. Returns true when the key was already written in this mapping.
    fn insert(&mut self, key: Key, node: Node, explicit: bool) -> bool {
        match self.position(&key.name) {
            Some(p) => {
                let slot = &mut self.entries[p];
                slot.1 = node;
                slot.0.span = key.span;
                slot.0.anchored = key.anchored;
                let dup = explicit && self.explicit[p];
                self.explicit[p] |= explicit;
                dup
            }
            None => {
                self.entries.push((key, node));
                self.explicit.push(explicit);
                false
            }
        }
    }

    /// `<<: *x` or `<<: [*x, *y]`: Psych merges each map in (later explicit keys still win).
    fn merge(&mut self, node: Node) {
        match node.value {
            Value::Map(m) => {
                for (k, v) in m {
                    self.insert(k, v, false);
                }
            }
            Value::Seq(items) => {
                for it in items {
                    if let Value::Map(m) = it.value {
                        for (k, v) in m {
                            self.insert(k, v, false);
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

enum Frame {
    Seq {
        items: Vec<Node>,
        start: usize,
        anchor: usize,
        weight: Weight,
    },
    Map {
        map: MapBuilder,
        pending_key: Option<Key>,
        start: usize,
        anchor: usize,
        weight: Weight,
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

/// Load the first document of `text`, with the limits in force ([`Limits::current`]).
pub fn load(text: &str) -> Result<Document, YamlError> {
    load_with_limits(text, &Limits::current())
}

/// Load the first document of `text` under `limits` (only the alias budgets apply here;
/// the input size is checked by whoever reads the file).
pub fn load_with_limits(text: &str, limits: &Limits) -> Result<Document, YamlError> {
    // travis-yml reads an alias to an unknown anchor as null; saphyr-parser rejects it.
    // Blank such aliases out (same length, so every offset stays valid) and parse again.
    let mut owned: Option<String> = None;
    for _ in 0..64 {
        let cur = owned.as_deref().unwrap_or(text);
        match load_once(cur, limits) {
            Err(e) if e.kind == ErrorKind::Syntax && e.message.contains("unknown anchor") => {
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
    load_once(owned.as_deref().unwrap_or(text), limits)
}

/// What [`Loader`] hands back for each finished node: the node, its anchor id (0: none)
/// and its weight once aliases are expanded.
type Finished = (Node, usize, Weight);

/// One pass of the event parser over a document: builds the node tree (frames for the
/// open collections), keeps anchors for aliases and charges alias expansion against
/// the limits, records duplicate and anchored keys.
struct Loader<'t> {
    /// The original text (errors are positioned in it).
    text: &'t str,
    limits: &'t Limits,
    /// Byte offset (in `text`) of the end of the parsed body, and whether the body ends
    /// with a line break (a final block scalar's trailing newline depends on it).
    body_end: usize,
    body_ends_nl: bool,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, Weight)>,
    duplicates: Vec<Duplicate>,
    anchored_keys: Vec<String>,
    root: Option<Node>,
    /// Nodes the parser produced (aliases count one) and what the aliases expanded to.
    parsed_nodes: usize,
    expanded: Weight,
}

fn load_once(text: &str, limits: &Limits) -> Result<Document, YamlError> {
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
            kind: ErrorKind::Syntax,
            help: None,
        }
    };

    let mut loader = Loader {
        text,
        limits,
        body_end: body_ref.len() + shift,
        body_ends_nl: body_ref.ends_with('\n'),
        stack: Vec::new(),
        anchors: HashMap::new(),
        duplicates: Vec::new(),
        anchored_keys: Vec::new(),
        root: None,
        parsed_nodes: 0,
        expanded: Weight::default(),
    };
    let mut parser = Parser::new_from_str(body_ref);
    let mut docs = 0usize;
    let mut events = 0usize;
    while let Some(ev) = parser.next_event() {
        let (ev, span) = ev.map_err(scan_err)?;
        let start = to_off(&span.start);
        let end = to_off(&span.end).max(start);
        events += 1;
        if events > limits::MAX_EVENTS {
            return Err(YamlError::limit(
                text,
                start,
                format!(
                    "document too large: more than {} YAML events",
                    limits::MAX_EVENTS
                ),
                None,
            ));
        }
        if matches!(
            ev,
            Event::Alias(_)
                | Event::Scalar(..)
                | Event::SequenceStart(..)
                | Event::MappingStart(..)
        ) {
            loader.parsed_nodes += 1;
        }
        let finished = match ev {
            Event::StreamStart | Event::Nothing | Event::DocumentEnd => None,
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                docs += 1;
                if docs > 1 {
                    break;
                }
                None
            }
            Event::Alias(id) => Some(loader.alias(id, start, end)?),
            Event::Scalar(value, style, anchor, tag) => Some(loader.scalar(
                value.to_string(),
                Style::from_saphyr(style),
                anchor,
                tag.map(|t| t.to_string()),
                (start, end),
            )),
            Event::SequenceStart(anchor, _) => {
                loader.open(true, anchor, start)?;
                None
            }
            Event::MappingStart(anchor, _) => {
                loader.open(false, anchor, start)?;
                None
            }
            Event::SequenceEnd | Event::MappingEnd => loader.close(end),
        };
        if let Some(finished) = finished {
            loader.attach(finished)?;
        }
    }
    Ok(Document {
        root: loader.root,
        duplicates: loader.duplicates,
        anchored_keys: loader.anchored_keys,
    })
}

impl Loader<'_> {
    /// An alias: a copy of its anchor's node (charged in full against the alias budgets
    /// before anything is cloned), or null for an unknown anchor.
    fn alias(&mut self, id: usize, start: usize, end: usize) -> Result<Finished, YamlError> {
        let Some((n, w)) = self.anchors.get(&id) else {
            return Ok((Node::null((start, end)), 0, Weight { nodes: 1, bytes: 0 }));
        };
        let limits = self.limits;
        self.expanded.add(*w);
        let max_nodes = limits
            .alias_nodes
            .max(self.parsed_nodes.saturating_mul(limits.alias_factor));
        let max_bytes = limits
            .alias_bytes
            .max(self.text.len().saturating_mul(limits.alias_factor));
        if self.expanded.nodes > max_nodes {
            return Err(YamlError::limit(
                self.text,
                start,
                format!("alias expansion exceeds {max_nodes} nodes"),
                Some(format!(
                    "aliases may produce max({}, {} × the nodes written) nodes; set {} to raise the base",
                    limits.alias_nodes,
                    limits.alias_factor,
                    limits::ENV_MAX_ALIAS_NODES
                )),
            ));
        }
        if self.expanded.bytes > max_bytes {
            return Err(YamlError::limit(
                self.text,
                start,
                format!("alias expansion exceeds {max_bytes} bytes of text"),
                Some(format!(
                    "aliases may produce max({}, {} × the file size) bytes of text; set {} to raise the base",
                    limits.alias_bytes,
                    limits.alias_factor,
                    limits::ENV_MAX_ALIAS_BYTES
                )),
            ));
        }
        let mut n = n.clone();
        n.span = (start, end);
        Ok((n, 0, *w))
    }

    /// A scalar, resolved with travis-yml's rules unless quoted or tagged `!str`.
    fn scalar(
        &self,
        mut text_s: String,
        style: Style,
        anchor: usize,
        tag_s: Option<String>,
        span: (usize, usize),
    ) -> Finished {
        // libyaml (and so travis-yml) gives a block scalar that ends the stream
        // without a final line break no trailing newline; saphyr adds one.
        if matches!(style, Style::Literal | Style::Folded)
            && span.1 >= self.body_end
            && !self.body_ends_nl
            && text_s.ends_with('\n')
        {
            text_s.pop();
        }
        let plain_str = matches!(tag_s.as_deref(), Some(t) if t.ends_with(":str") || t == "!str");
        let classified = if style == Style::Plain && !plain_str {
            classify(&text_s)
        } else {
            None
        };
        let weight = Weight {
            nodes: 1,
            bytes: text_s.len() + tag_s.as_ref().map_or(0, String::len),
        };
        // strings keep their text only once, in `value`
        let (resolved, text_s) = match classified {
            Some(v) => (v, text_s),
            None => (Scalar::Str(text_s), String::new()),
        };
        let value = Value::Scalar {
            value: resolved,
            text: text_s,
            style,
            tag: tag_s,
        };
        (Node { value, span }, anchor, weight)
    }

    /// A sequence (`seq`) or mapping starts: a new frame, within the nesting limit.
    fn open(&mut self, seq: bool, anchor: usize, start: usize) -> Result<(), YamlError> {
        if self.stack.len() > limits::MAX_DEPTH {
            return Err(YamlError::limit(
                self.text,
                start,
                format!("nesting too deep: more than {} levels", limits::MAX_DEPTH),
                None,
            ));
        }
        let weight = Weight { nodes: 1, bytes: 0 };
        self.stack.push(if seq {
            Frame::Seq {
                items: Vec::new(),
                start,
                anchor,
                weight,
            }
        } else {
            Frame::Map {
                map: MapBuilder::default(),
                pending_key: None,
                start,
                anchor,
                weight,
            }
        });
        Ok(())
    }

    /// The innermost collection ends at `end`: its node, spanning to its last item.
    fn close(&mut self, end: usize) -> Option<Finished> {
        let (value, s, last_end, anchor, weight) = match self.stack.pop()? {
            Frame::Seq {
                items,
                start,
                anchor,
                weight,
            } => {
                let last = items.last().map(|n| n.span.1);
                (Value::Seq(items), start, last, anchor, weight)
            }
            Frame::Map {
                map,
                start,
                anchor,
                weight,
                ..
            } => {
                let entries = map.entries;
                let last = entries.last().map(|(_, n)| n.span.1);
                (Value::Map(entries), start, last, anchor, weight)
            }
        };
        let e = last_end.unwrap_or(end).max(end).max(s);
        Some((
            Node {
                value,
                span: (s, e),
            },
            anchor,
            weight,
        ))
    }

    /// A finished node goes where it belongs: the root, the open sequence, or the open
    /// mapping (as its next key, or as the value of its pending key).
    fn attach(&mut self, (node, anchor, weight): Finished) -> Result<(), YamlError> {
        if anchor != 0 {
            self.anchors.insert(anchor, (node.clone(), weight));
        }
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Frame::Seq {
                items, weight: w, ..
            }) => {
                w.add(weight);
                items.push(node)
            }
            Some(Frame::Map {
                map,
                pending_key,
                start: map_start,
                weight: w,
                ..
            }) => {
                w.add(weight);
                match pending_key.take() {
                    None => {
                        let span = node.span;
                        *pending_key = Some(Key {
                            name: key_name(self.text, node)?,
                            span,
                            anchored: false,
                        });
                    }
                    Some(mut key) => {
                        key.anchored = anchor != 0;
                        if key.anchored {
                            self.anchored_keys.push(key.name.clone());
                        }
                        if key.name == "<<" {
                            map.merge(node);
                        } else {
                            let (name, span) = (key.name.clone(), key.span);
                            let node_end = node.span.1;
                            if map.insert(key, node, true) {
                                self.duplicates.push(Duplicate {
                                    key: name,
                                    span,
                                    map_span: (*map_start, node_end),
                                });
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// The name of a mapping key node (a leading `:` of a Ruby-symbol key dropped); a
/// collection used as a key is an error.
fn key_name(text: &str, node: Node) -> Result<String, YamlError> {
    match node.value {
        Value::Scalar { text: t, value, .. } => {
            let t = match value {
                Scalar::Str(s) => s,
                _ => t,
            };
            Ok(match t.strip_prefix(':') {
                Some(r) if !r.is_empty() => r.to_string(),
                _ => t,
            })
        }
        _ => {
            let lc = LineIndex::new(text).line_col(text, node.span.0);
            Err(YamlError {
                message: "unacceptable key (a mapping or sequence used as a key)".into(),
                offset: node.span.0,
                line: lc.0,
                column: lc.1,
                kind: ErrorKind::Syntax,
                help: None,
            })
        }
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

    /// Limits with the given alias bases and no growth with the document.
    fn bases(nodes: usize, bytes: usize) -> Limits {
        Limits {
            alias_nodes: nodes,
            alias_bytes: bytes,
            alias_factor: 0,
            ..Limits::default()
        }
    }

    fn limit_error(text: &str, l: &Limits) -> YamlError {
        let e = load_with_limits(text, l).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Limit, "{e}");
        e
    }

    #[test]
    fn an_alias_is_charged_its_anchors_whole_subtree() {
        // [x, y] weighs 3 nodes (the sequence and two scalars): three aliases make 9
        let text = "a: &a [x, y]\nb: [*a, *a, *a]\n";
        assert!(load_with_limits(text, &bases(9, 100)).is_ok());
        let e = limit_error(text, &bases(8, 100));
        assert_eq!(e.message, "alias expansion exceeds 8 nodes");
        assert_eq!((e.line, e.column), (2, 13), "the third alias");
        assert_eq!(&text[e.offset..e.offset + 2], "*a");
        // nested: *a weighs 2, so b weighs 1 + 2 + 2 = 5 and *b adds 5 to the 4 so far
        let text = "a: &a [x]\nb: &b [*a, *a]\nc: *b\n";
        assert!(load_with_limits(text, &bases(9, 100)).is_ok());
        let e = limit_error(text, &bases(8, 100));
        assert_eq!((e.line, e.column), (3, 4));
        // keys count: {k: v} weighs 3, merged in or aliased
        let text = "a: &a {k: v}\nb: {<<: *a}\nc: *a\n";
        assert!(load_with_limits(text, &bases(6, 100)).is_ok());
        assert_eq!(limit_error(text, &bases(5, 100)).line, 3);
    }

    #[test]
    fn alias_text_is_counted_in_bytes() {
        let text = "a: &a abcdef\nb: [*a, *a]\n";
        assert!(load_with_limits(text, &bases(100, 12)).is_ok());
        let e = limit_error(text, &bases(100, 11));
        assert_eq!(e.message, "alias expansion exceeds 11 bytes of text");
        assert_eq!((e.line, e.column), (2, 9));
    }

    #[test]
    fn alias_budget_grows_with_the_document() {
        // 10 × the 11 nodes parsed by the last alias allows the 9 nodes below a base of 1
        let text = "a: &a [x, y]\nb: [*a, *a, *a]\n";
        let l = Limits {
            alias_nodes: 1,
            ..Limits::default()
        };
        assert!(load_with_limits(text, &l).is_ok());
    }

    #[test]
    fn billion_laughs_stops_at_the_alias_that_crosses_the_limit() {
        let mut text = String::from("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (p, c) in "abcdefgh".chars().zip("bcdefghi".chars()) {
            let items = vec![format!("*{p}"); 9].join(", ");
            text.push_str(&format!("{c}: &{c} [{items}]\n"));
        }
        let e = limit_error(&text, &Limits::default());
        assert_eq!(e.message, "alias expansion exceeds 100000 nodes");
        // level f (line 6) holds 9 aliases of e, each 7381 nodes: the 5th crosses 100,000
        // after the 9 × (10 + 91 + 820) nodes of levels b, c and d... and e's own 9 × 820
        assert_eq!(e.line, 6);
        assert!(e
            .help
            .as_deref()
            .unwrap_or("")
            .contains("TRAVIS_LOCAL_MAX_ALIAS_NODES"));
    }

    #[test]
    fn depth_limit_has_a_position() {
        // block mappings (saphyr stops deep flow collections itself, as a syntax error)
        let text: String = (0..600)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
            .collect();
        let e = limit_error(&text, &Limits::default());
        assert_eq!(e.message, "nesting too deep: more than 512 levels");
        assert_eq!((e.line, e.column), (514, 514));
    }

    #[test]
    fn big_mappings_keep_order_duplicates_and_merges() {
        let mut text = String::from("base: &m {k3: merged, extra: 1}\nmap:\n");
        for i in 0..40 {
            text.push_str(&format!("  k{i}: {i}\n"));
        }
        text.push_str("  k7: again\n  <<: *m\n");
        let doc = load(&text).unwrap();
        let j = doc.root.unwrap().to_json();
        let m = j["map"].as_object().unwrap();
        assert_eq!(m.len(), 41);
        assert_eq!(m.keys().next().map(String::as_str), Some("k0"));
        assert_eq!(m["k7"], "again");
        assert_eq!(m["k3"], "merged");
        assert_eq!(m.keys().next_back().map(String::as_str), Some("extra"));
        assert_eq!(doc.duplicates.len(), 1);
        assert_eq!(doc.duplicates[0].key, "k7");
    }

    #[test]
    fn offsets_on_non_ascii_lines_in_any_order() {
        let text = "é: [ü, x, 😀, y]\nzé: b\n";
        let idx = LineIndex::new(text);
        let cols = [0, 5, 1, 9, 12, 4, 0, 14];
        for c in cols.iter().chain(cols.iter().rev()) {
            let want = text.char_indices().nth(*c).map(|(i, _)| i).unwrap();
            assert_eq!(idx.offset(text, 1, *c), want, "column {c}");
        }
        assert_eq!(idx.offset(text, 2, 1), text.find("é: b").unwrap());
        assert_eq!(idx.offset(text, 1, 4), text.find('ü').unwrap());
        assert_eq!(idx.offset(text, 9, 0), text.len());
        for off in (0..text.len()).chain((0..text.len()).rev()) {
            if !text.is_char_boundary(off) {
                continue;
            }
            let ls = text[..off].rfind('\n').map_or(0, |i| i + 1);
            let want = (
                text[..off].matches('\n').count() + 1,
                text[ls..off].chars().count() + 1,
            );
            assert_eq!(idx.line_col(text, off), want, "offset {off}");
        }
        // a long non-ASCII line loads in linear time (was quadratic: minutes for this)
        let wide = format!("a: [{}]\n", vec!["é"; 200_000].join(", "));
        let doc = load(&wide).unwrap();
        let root = doc.root.unwrap();
        let Value::Seq(items) = &root.as_map().unwrap()[0].1.value else {
            panic!("a sequence")
        };
        assert_eq!(items.len(), 200_000);
        assert_eq!(&wide[items[199_999].span.0..items[199_999].span.1], "é");
    }

    #[test]
    fn invalid_yaml_has_position() {
        let e = load("a: [1, 2\nb: c\n").unwrap_err();
        assert!(e.line >= 1);
    }
}
