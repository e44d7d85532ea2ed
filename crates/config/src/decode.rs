//! Nodes → normalised config (the shape of travis-yml's `config`), with diagnostics.
//!
//! One job: walk the span-carrying YAML tree against the compiled travis-yml schema and
//! apply travis-yml's changes (key aliases and typo fixes, prefix, wrap, pick, cast,
//! downcase, value aliases, env var splitting, cache, defaults) and validations
//! (unknown/deprecated keys, invalid types, unknown values, secure alerts, formats,
//! conditions), recording a JSON pointer → byte span for every value produced.
//!
//! This file holds the walk (type selection, maps, sequences, shorthands, `if:`
//! checks); its parts live in `decode/`: `keys` (key fixes), `defaults` (prefix key, key
//! order, defaults, required keys), `scalars` (scalars per kind), `env` (`env` entries),
//! `providers` (deploy providers).

use crate::diag::{Diagnostic, Level};
use crate::schema::{compiled, Kind, Schema};
use crate::yaml::{Key, Node, Scalar, Span, Value};
use serde_json::{json, Map, Value as J};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

mod defaults;
mod env;
mod keys;
mod providers;
mod scalars;

use defaults::*;
use keys::*;
use providers::*;

pub struct Decoder<'a> {
    pub file: &'a str,
    pub text: &'a str,
    pub diags: Vec<Diagnostic>,
    pub spans: HashMap<String, Span>,
    pub anchored: HashSet<String>,
    seen: HashSet<(Level, String, String, String)>,
    /// provider name while inside a deploy entry (travis-yml adds it to messages)
    provider: Option<String>,
    /// Whether to fill `spans` (the JSON-pointer table); `lint` does not need it.
    pub record: bool,
}

fn esc(k: &str) -> String {
    k.replace('~', "~0").replace('/', "~1")
}

fn child_path(path: &str, key: &str) -> String {
    if path == "root" {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum T {
    Map,
    Seq,
    Str,
    Int,
    Bool,
    Null,
}

fn ty(n: &Node) -> T {
    match &n.value {
        Value::Map(_) => T::Map,
        Value::Seq(_) => T::Seq,
        Value::Scalar { value, .. } => match value {
            Scalar::Null => T::Null,
            Scalar::Bool(_) => T::Bool,
            Scalar::Int(_) => T::Int,
            Scalar::Str(_) => T::Str,
        },
    }
}

fn ty_name(t: T) -> &'static str {
    match t {
        T::Map => "map",
        T::Seq => "seq",
        T::Str => "str",
        T::Int => "num",
        T::Bool => "bool",
        T::Null => "none",
    }
}

const TRUE_STRS: &[&str] = &["true", "on", "yes", "enabled", "required"];
const FALSE_STRS: &[&str] = &["false", "off", "no", "disabled", "not required"];

/// A boolean scalar, or a string scalar that `cast` reads as one.
fn as_bool(n: &Node, cast: impl Fn(&str) -> Option<bool>) -> Option<bool> {
    match &n.value {
        Value::Scalar {
            value: Scalar::Bool(b),
            ..
        } => Some(*b),
        Value::Scalar {
            value: Scalar::Str(v),
            ..
        } => cast(v),
        _ => None,
    }
}

fn scalar_str(n: &Node) -> Option<&str> {
    match &n.value {
        Value::Scalar {
            value: Scalar::Str(s),
            ..
        } => Some(s),
        _ => None,
    }
}

/// How well schema `s` takes node `n`: 2 natively, 1 after a change, 0 not at all.
fn accepts(s: &Schema, n: &Node) -> u8 {
    let t = ty(n);
    match &s.kind {
        Kind::Any(alts) => alts.iter().map(|a| accepts(a, n)).max().unwrap_or(0),
        Kind::Map { .. } | Kind::Object => {
            if is_secure_map(n) && s.prop("secure").is_none() {
                match &s.prefix {
                    Some((_, false)) => 1,
                    _ => 0,
                }
            } else if t == T::Map {
                2
            } else if (s.changes.iter().any(|c| c == "cache") && matches!(t, T::Str | T::Seq))
                || (s.changes.iter().any(|c| c == "enable") && t == T::Bool)
            {
                1
            } else if let Some((_, only_str)) = &s.prefix {
                if t == T::Null {
                    0
                } else if *only_str {
                    u8::from(t == T::Str)
                } else {
                    1
                }
            } else {
                0
            }
        }
        Kind::Seq(_) => match t {
            T::Seq => 2,
            T::Null => 0,
            _ => 1,
        },
        Kind::Str { .. } => match t {
            T::Str => 2,
            T::Int | T::Bool => 1,
            _ => 0,
        },
        Kind::Num => match t {
            T::Int => 2,
            T::Str
                if scalar_str(n)
                    .map(|s| s.parse::<f64>().is_ok())
                    .unwrap_or(false) =>
            {
                1
            }
            _ => 0,
        },
        Kind::Bool => match t {
            T::Bool => 2,
            T::Str => {
                let v = scalar_str(n).unwrap_or("").to_ascii_lowercase();
                u8::from(TRUE_STRS.contains(&v.as_str()) || FALSE_STRS.contains(&v.as_str()))
            }
            _ => 0,
        },
        Kind::Secure => match &n.value {
            Value::Scalar {
                value: Scalar::Str(_),
                ..
            } => 2,
            Value::Map(m) if m.len() == 1 && m[0].0.name == "secure" => 2,
            _ => 0,
        },
    }
}

fn is_secure_map(n: &Node) -> bool {
    matches!(&n.value, Value::Map(m) if m.len() == 1 && m[0].0.name == "secure")
}

fn is_custom(key: &str) -> bool {
    key.starts_with('_') || key.starts_with('.')
}

fn levenshtein_match<'s>(cands: impl Iterator<Item = &'s str>, key: &str) -> Option<String> {
    let n = key.chars().count();
    if n < 3 {
        return None;
    }
    let mut best: Option<(usize, String)> = None;
    let mut perm: Option<String> = None;
    for c in cands {
        if c == key {
            return Some(c.to_string());
        }
        let d = strsim::levenshtein(c, key);
        let m = (n as f64 / 2.0)
            .min(c.chars().count() as f64 / 2.0)
            .min(4.0);
        if (d as f64) < m && best.as_ref().map(|(bd, _)| d < *bd).unwrap_or(true) {
            best = Some((d, c.to_string()));
        }
        if n < 6 && perm.is_none() && c.len() == key.len() {
            let mut a: Vec<char> = c.chars().collect();
            let mut b: Vec<char> = key.chars().collect();
            a.sort_unstable();
            b.sort_unstable();
            if a == b {
                perm = Some(c.to_string());
            }
        }
    }
    best.map(|(_, c)| c).or(perm)
}

fn clean_key(key: &str) -> String {
    let k = key.replace(['-', ' '], "_");
    let k: String = k
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '_' || *c == '.')
        .collect();
    let k = k.trim_start_matches("__").trim_end_matches('_').to_string();
    let k = if key.starts_with("__") {
        k.trim_start_matches('_').to_string()
    } else {
        k
    };
    k.replace("__", "_")
}

fn strict_base64(s: &str) -> bool {
    let cleaned: Vec<u8> = s.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    let b = &cleaned[..];
    if b.is_empty() || b.len() % 4 != 0 {
        return false;
    }
    let pad = b.iter().rev().take_while(|c| **c == b'=').count();
    if pad > 2 {
        return false;
    }
    b[..b.len() - pad]
        .iter()
        .all(|c| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/')
}

impl<'a> Decoder<'a> {
    pub fn new(file: &'a str, text: &'a str, anchored: HashSet<String>) -> Self {
        Decoder {
            file,
            text,
            diags: Vec::new(),
            spans: HashMap::new(),
            anchored,
            seen: HashSet::new(),
            provider: None,
            record: true,
        }
    }

    fn cp(&self, ptr: &str, key: &str) -> String {
        if self.record {
            format!("{ptr}/{}", esc(key))
        } else {
            String::new()
        }
    }

    fn ci(&self, ptr: &str, i: usize) -> String {
        if self.record {
            format!("{ptr}/{i}")
        } else {
            String::new()
        }
    }

    fn span(&mut self, ptr: String, span: Span) {
        if self.record {
            self.spans.insert(ptr, span);
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub fn msg(
        &mut self,
        level: Level,
        path: &str,
        code: &str,
        mut args: J,
        span: Option<Span>,
        message: String,
        help: Option<String>,
    ) {
        if let (Some(p), Some(obj)) = (&self.provider, args.as_object_mut()) {
            if path.starts_with("deploy") || path.contains(".deploy") {
                obj.insert("provider".into(), J::String(p.clone()));
            }
        }
        let k = (level, path.to_string(), code.to_string(), args.to_string());
        if !self.seen.insert(k) {
            return;
        }
        self.diags.push(Diagnostic {
            level,
            code: code.to_string(),
            key: path.to_string(),
            message,
            help,
            span,
            file: self.file.to_string(),
            args,
        });
    }

    pub fn decode_root(&mut self, root: &Node) -> J {
        let schema = compiled().root.clone();
        let out = self.map(&schema, root, "root", "");
        self.spans.insert(String::new(), root.span);
        out
    }

    fn walk(&mut self, s: &Arc<Schema>, n: &Node, path: &str, ptr: &str) -> J {
        if self.record && !self.spans.contains_key(ptr) {
            self.spans.insert(ptr.to_string(), n.span);
        }
        match &s.kind {
            Kind::Any(alts) => {
                let alt = self.select(s, alts, n);
                self.walk(&alt, n, path, ptr)
            }
            Kind::Map { .. } | Kind::Object => self.map(s, n, path, ptr),
            Kind::Seq(item) => self.seq(s, item, n, path, ptr),
            _ => self.scalar(s, n, path, ptr),
        }
    }

    fn select(&mut self, s: &Schema, alts: &[Arc<Schema>], n: &Node) -> Arc<Schema> {
        if s.ref_name.as_deref() == Some("providers") {
            let name = match &n.value {
                Value::Map(m) => m
                    .iter()
                    .find(|(k, _)| k.name == "provider")
                    .and_then(|(_, v)| scalar_str(v).map(str::to_string)),
                _ => scalar_str(n).map(str::to_string),
            };
            if let Some(name) = name {
                let lname = name.to_ascii_lowercase();
                for a in alts {
                    if provider_name(a).as_deref() == Some(lname.as_str()) {
                        return a.clone();
                    }
                }
            }
            return Arc::new(generic_provider());
        }
        if let Some(a) = alts.iter().find(|a| a.normal && accepts(a, n) > 0) {
            return a.clone();
        }
        if let Some(a) = alts.iter().find(|a| accepts(a, n) == 2) {
            return a.clone();
        }
        alts.first()
            .cloned()
            .unwrap_or_else(|| Arc::new(generic_provider()))
    }

    fn invalid_type(&mut self, expected: &str, n: &Node, path: &str) {
        let actual = ty_name(ty(n));
        let v = n.to_json();
        self.msg(
            Level::Error,
            path,
            "invalid_type",
            json!({"expected": expected, "actual": actual, "value": v}),
            Some(n.span),
            format!(
                "dropping unexpected {actual}, expected {expected} ({})",
                short(&v)
            ),
            None,
        );
    }

    /// travis-yml's `unexpected_seq`: a sequence given where one value is expected, of
    /// which the first is used.
    fn unexpected_seq(&mut self, first: &Node, path: &str, span: Span, help: Option<&str>) {
        let v = first.to_json();
        self.msg(
            Level::Warn,
            path,
            "unexpected_seq",
            json!({"value": v}),
            Some(span),
            format!("unexpected sequence, using the first value ({})", short(&v)),
            help.map(str::to_string),
        );
    }

    /// A map-typed key given something else: `enabled` shorthands (`addons: {x: true}`),
    /// cache shorthands, prefix keys (`deploy: heroku`), a sequence of maps (first one
    /// used), null, or an invalid type.
    fn map_from_other(&mut self, s: &Arc<Schema>, n: &Node, path: &str, ptr: &str) -> J {
        if s.changes.iter().any(|c| c == "enable") && s.prop("enabled").is_some() {
            let b = as_bool(n, |v| match v {
                "yes" => Some(true),
                "no" => Some(false),
                _ => None,
            });
            if let Some(b) = b {
                let mut m = Map::new();
                m.insert("enabled".into(), J::Bool(b));
                return J::Object(m);
            }
        }
        if s.changes.iter().any(|c| c == "cache") && matches!(ty(n), T::Str | T::Seq) {
            return self.cache_shorthand(s, n, path, ptr);
        }
        if let Some((pk, only_str)) = &s.prefix {
            if !n.is_null() && (!only_str || ty(n) == T::Str) {
                let key = Key {
                    name: pk.clone(),
                    span: n.span,
                    anchored: false,
                };
                let wrapped = Node {
                    value: Value::Map(vec![(key, n.clone())]),
                    span: n.span,
                };
                return self.map(s, &wrapped, path, ptr);
            }
        }
        if let Value::Seq(items) = &n.value {
            if let Some(first) = items.first() {
                if ty(first) == T::Map {
                    self.unexpected_seq(first, path, n.span, None);
                    return self.map(s, first, path, ptr);
                }
            }
        }
        if n.is_null() {
            return J::Null;
        }
        if matches!(s.kind, Kind::Object) {
            return n.to_json();
        }
        self.invalid_type("map", n, path);
        n.to_json()
    }

    /// One entry of a map after the key fixes: a known key walked with its schema (and
    /// deprecations reported), a pattern key walked with the pattern's, an unknown key
    /// reported and kept as it is.
    fn map_entry(
        &mut self,
        s: &Arc<Schema>,
        no_props: bool,
        pattern: Option<&Arc<Schema>>,
        (path, ptr): (&str, &str),
        (name, key, node): (&String, &Key, &Node),
        out: &mut Map<String, J>,
    ) {
        let props_is_empty = no_props;
        let prop = |name: &str| s.prop(name).cloned();
        let cpath = child_path(path, name);
        let cptr = self.cp(ptr, name);
        if let Some(ps) = prop(name) {
            if let Some(info) = &ps.deprecated {
                self.msg(
                    Level::Warn,
                    path,
                    "deprecated_key",
                    json!({"key": name, "info": info}),
                    Some(key.span),
                    format!("deprecated key: {name:?} ({info})"),
                    None,
                );
            }
            let v = self.walk(&ps, node, &cpath, &cptr);
            if name == "if" {
                self.check_condition(node, &cpath);
            }
            if v.is_null() {
                out.shift_remove(name);
                return;
            }
            out.insert(name.clone(), v);
        } else if let Some(pat) = pattern {
            let v = self.walk(pat, node, &cpath, &cptr);
            out.insert(name.clone(), v);
        } else {
            if !is_custom(name) && !props_is_empty {
                let v = node.to_json();
                if key.anchored || self.anchored.contains(name) {
                    self.msg(
                        Level::Warn,
                        path,
                        "deprecated_key",
                        json!({"key": name, "info": "anchor on a non-private key"}),
                        Some(key.span),
                        format!("deprecated key: {name:?} (anchor on a non-private key)"),
                        Some("prefix keys that only hold YAML anchors with `_`".into()),
                    );
                } else {
                    self.msg(
                        Level::Warn,
                        path,
                        "unknown_key",
                        json!({"key": name, "value": v}),
                        Some(key.span),
                        format!("unknown key `{name}` ({})", short(&v)),
                        None,
                    );
                }
            }
            out.insert(name.clone(), node.to_json());
        }
    }

    /// A map, in travis-yml's order of steps: non-map shorthands ([`Self::map_from_other`]),
    /// key fixes ([`Self::fix_keys`]), the prefix key, positions of required and defaulted
    /// keys, each entry ([`Self::map_entry`]), inheritance, defaults
    /// ([`Self::add_defaults`]), the final key order and required keys. The steps share
    /// the placeholder order of `out` and the deploy provider context, which
    /// travis-yml's output depends on.
    fn map(&mut self, s: &Arc<Schema>, n: &Node, path: &str, ptr: &str) -> J {
        // non-map values: cache shorthand, prefix, pick
        let secure_prefix =
            is_secure_map(n) && s.prop("secure").is_none() && matches!(&s.prefix, Some((_, false)));
        let entries: &[(Key, Node)] = match &n.value {
            Value::Map(m) if !secure_prefix => m,
            _ => return self.map_from_other(s, n, path, ptr),
        };
        let (props, pattern, strict) = match &s.kind {
            Kind::Map {
                props,
                pattern,
                strict,
            } => (props, pattern, *strict || !props.is_empty()),
            _ => return self.free_object(entries, ptr),
        };
        let prop = |name: &str| s.prop(name).cloned();

        // 1. key fixes
        let mut fixed = self.fix_keys(s, props, strict, entries, path);

        // 2. prefix for maps with unknown keys (env: {FOO: 1} → env: {jobs: {FOO: 1}})
        let holder: (Key, Node);
        if let Some((entry, unknown)) = prefix_entry(s, props, &fixed) {
            let mut moved_in = vec![false; fixed.len()];
            for &i in &unknown {
                moved_in[i] = true;
            }
            let keep: Vec<_> = fixed
                .into_iter()
                .zip(moved_in)
                .filter(|(_, m)| !m)
                .map(|(e, _)| e)
                .collect();
            holder = entry;
            fixed = vec![(holder.0.name.clone(), &holder.0, &holder.1, false)];
            fixed.extend(keep);
        }

        // 3. required + defaults first (travis-yml's `missing`)
        let order = key_order(s, props);
        let mut out = placeholders(s, props, &fixed, &order);

        let is_deploy_entry = path.ends_with("deploy") && s.prop("provider").is_some();
        let saved_provider = self.provider.clone();
        if is_deploy_entry {
            self.provider = provider_name(s);
        }

        for (name, key, node, _) in &fixed {
            self.map_entry(
                s,
                props.is_empty(),
                pattern.as_ref(),
                (path, ptr),
                (name, key, node),
                &mut out,
            );
        }
        // notifications: root-level on_success/on_failure are inherited by every target
        if s.changes.iter().any(|c| c == "inherit") {
            inherit_notifications(&mut out);
            if out.is_empty() {
                self.provider = saved_provider;
                return J::Null;
            }
        }
        // 4. defaults
        self.add_defaults(props, path, &mut out);
        // reorder so defaults sit where travis-yml puts them: required/default keys first
        if !order.is_empty() {
            let unknown = fixed
                .iter()
                .filter(|e| !props.is_empty() && prop(&e.0).is_none())
                .map(|e| &e.0);
            out = reorder(out, unknown, &order);
        }
        self.check_required(s, &out, path, n.span);
        self.provider = saved_provider;
        J::Object(out)
    }

    /// A map whose schema is a free-form object: every entry kept as it is.
    fn free_object(&mut self, entries: &[(Key, Node)], ptr: &str) -> J {
        let mut out = Map::new();
        for (k, v) in entries {
            let p = self.cp(ptr, &k.name);
            self.span(p, v.span);
            out.insert(k.name.clone(), v.to_json());
        }
        J::Object(out)
    }

    fn cache_shorthand(&mut self, s: &Arc<Schema>, n: &Node, path: &str, ptr: &str) -> J {
        let items: Vec<Node> = match &n.value {
            Value::Seq(items) => items.clone(),
            _ => vec![n.clone()],
        };
        let mut entries: Vec<(Key, Node)> = Vec::new();
        let mut dirs: Vec<Node> = Vec::new();
        for it in items {
            match &it.value {
                Value::Map(m) => entries.extend(m.iter().cloned()),
                Value::Scalar { .. } => {
                    let name = scalar_str(&it)
                        .map(str::to_string)
                        .unwrap_or_else(|| it.to_json().to_string());
                    if s.prop(&name)
                        .map(|p| matches!(p.kind, Kind::Bool))
                        .unwrap_or(false)
                    {
                        let t = Node {
                            value: Value::Scalar {
                                value: Scalar::Bool(true),
                                text: "true".into(),
                                style: crate::yaml::Style::Plain,
                                tag: None,
                            },
                            span: it.span,
                        };
                        entries.push((
                            Key {
                                name,
                                span: it.span,
                                anchored: false,
                            },
                            t,
                        ));
                    } else {
                        dirs.push(it.clone());
                    }
                }
                _ => {}
            }
        }
        if !dirs.is_empty() {
            let sp = (dirs[0].span.0, dirs[dirs.len() - 1].span.1);
            entries.push((
                Key {
                    name: "directories".into(),
                    span: sp,
                    anchored: false,
                },
                Node {
                    value: Value::Seq(dirs),
                    span: sp,
                },
            ));
        }
        let node = Node {
            value: Value::Map(entries),
            span: n.span,
        };
        self.map(s, &node, path, ptr)
    }

    fn seq(&mut self, s: &Arc<Schema>, item: &Arc<Schema>, n: &Node, path: &str, ptr: &str) -> J {
        let is_env = s.changes.iter().any(|c| c == "env_vars");
        let items: &[Node] = match &n.value {
            Value::Seq(items) => items,
            _ if n.is_null() => {
                return if is_env {
                    json!([{}])
                } else {
                    J::Array(vec![])
                };
            }
            _ => std::slice::from_ref(n),
        };
        // flatten nested sequences
        let mut flat: Vec<&Node> = Vec::with_capacity(items.len());
        for it in items {
            match &it.value {
                Value::Seq(inner) => flat.extend(inner.iter()),
                _ => flat.push(it),
            }
        }
        let mut out = Vec::new();
        for &it in flat.iter() {
            let cptr = self.ci(ptr, out.len());
            if is_env {
                if let Some(v) = self.env_item(it, path, &cptr) {
                    for m in v {
                        let p = self.ci(ptr, out.len());
                        if self.record {
                            self.spans.entry(p).or_insert(it.span);
                        }
                        out.push(m);
                    }
                }
                continue;
            }
            let v = self.walk(item, it, path, &cptr);
            if v.is_null() && !it.is_null() {
                continue;
            }
            out.push(v);
        }
        self.check_unique(item, &out, path, n.span);
        J::Array(out)
    }

    /// travis-yml's `duplicate` info: map items whose `unique` keys repeat (job names).
    fn check_unique(&mut self, item: &Arc<Schema>, out: &[J], path: &str, span: Span) {
        let Some(m) = first_map(item) else { return };
        let Kind::Map { props, .. } = &m.kind else {
            return;
        };
        let mut found: Vec<String> = Vec::new();
        for (k, ps) in props {
            if !ps.flags.iter().any(|f| f == "unique") {
                continue;
            }
            let vals: Vec<&J> = out
                .iter()
                .filter_map(|o| o.get(k))
                .filter(|v| !v.is_null())
                .collect();
            // Counted with a hash map (linear in the items), reported in first-seen order.
            let mut count: HashMap<&J, usize> = HashMap::with_capacity(vals.len());
            for v in &vals {
                *count.entry(*v).or_insert(0) += 1;
            }
            let mut dups: Vec<String> = Vec::new();
            let mut reported: HashSet<String> = HashSet::new();
            for v in &vals {
                if count.get(*v).is_some_and(|c| *c > 1) {
                    let t = match v {
                        J::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    if reported.insert(t.clone()) {
                        dups.push(t);
                    }
                }
            }
            if !dups.is_empty() {
                found.push(format!("{k}: {}", dups.join(", ")));
            }
        }
        if !found.is_empty() {
            let values = found.join(", ");
            self.msg(
                Level::Info,
                path,
                "duplicate",
                json!({"values": values}),
                Some(span),
                format!("duplicate values: {values}"),
                Some("job names should be unique".into()),
            );
        }
    }

    /// A scalar value: a one-item sequence where a scalar belongs is unwrapped (with a
    /// warning), then the value is checked and converted by its kind.
    fn scalar(&mut self, s: &Arc<Schema>, n: &Node, path: &str, ptr: &str) -> J {
        let _ = ptr;
        // pick
        let n = match &n.value {
            Value::Seq(items) => match items.first() {
                Some(first) => {
                    self.unexpected_seq(first, path, n.span, Some("this key takes a single value"));
                    first
                }
                None => return J::Null,
            },
            _ => n,
        };
        if n.is_null() {
            return J::Null;
        }
        match &s.kind {
            Kind::Secure => self.secure_value(s, n, path),
            Kind::Bool => self.bool_value(s, n, path),
            Kind::Num => self.num_value(n, path),
            Kind::Str {
                enumeration,
                values,
                pattern,
            } => self.str_value(s, n, path, enumeration.as_ref(), values, pattern.as_deref()),
            _ => n.to_json(),
        }
    }

    fn check_condition(&mut self, node: &Node, path: &str) {
        let Some(cond) = scalar_str(node).map(str::to_string) else {
            return;
        };
        // travis-yml parses and evaluates once with every attribute unset; both kinds of
        // error are reported as invalid_condition
        let facts = travis_local_condition::Facts::default();
        match travis_local_condition::evaluate_str(&cond, &facts) {
            Ok(_) => {}
            Err(e) => {
                if e.message().contains("not implemented") {
                    return;
                }
                let (offset, message) = (e.offset(), e.message().to_string());
                let off = crate::cond_map::map_offset(self.text, node, offset);
                let end = crate::next_char_end(self.text, off);
                self.msg(
                    Level::Error,
                    path,
                    "invalid_condition",
                    json!({"condition": cond, "message": message}),
                    Some((off, end)),
                    format!(
                        "invalid condition: {} ({message})",
                        cond.split_whitespace().collect::<Vec<_>>().join(" ")
                    ),
                    None,
                );
            }
        }
    }
}

/// notifications: root-level `on_success`/`on_failure` are inherited by every target.
fn inherit_notifications(out: &mut Map<String, J>) {
    let inherited: Vec<(String, J)> = ["on_success", "on_failure"]
        .iter()
        .filter_map(|k| out.get(*k).map(|v| (k.to_string(), v.clone())))
        .collect();
    for (k, _) in &inherited {
        out.shift_remove(k);
    }
    for (_, v) in out.iter_mut() {
        if let J::Array(items) = v {
            for it in items.iter_mut() {
                if let J::Object(o) = it {
                    for (k, iv) in &inherited {
                        if !o.contains_key(k) {
                            o.insert(k.clone(), iv.clone());
                        }
                    }
                }
            }
        }
    }
}

fn matches_format(p: &str, v: &str) -> bool {
    // the only pattern in the schema with a format check is `version`:
    // ^(~>|>|>=|=|<=|<) (\d+(?:\.\d+)?(?:\.\d+)?)$
    if p.starts_with("^(~>") {
        let ops = ["~> ", ">= ", "<= ", "> ", "= ", "< "];
        for op in ops {
            if let Some(rest) = v.strip_prefix(op) {
                let parts: Vec<&str> = rest.split('.').collect();
                return !parts.is_empty()
                    && parts.len() <= 3
                    && parts
                        .iter()
                        .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
            }
        }
        return false;
    }
    true
}

const R_KEYS: &[&str] = &[
    "r_packages",
    "r_binary_packages",
    "r_github_packages",
    "apt_packages",
    "bioc_packages",
    "brew_packages",
    "cran",
    "bioc",
    "bioc_required",
    "bioc_check",
    "bioc_use_devel",
    "disable_homebrew",
    "latex",
    "pandoc",
    "pandoc_version",
    "r_build_args",
    "r_check_args",
    "r_check_revdep",
    "warnings_are_errors",
    "remotes",
    "repos",
    "use_devtools",
    "r",
];

pub fn short(v: &J) -> String {
    let s = match v {
        J::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.chars().count() > 60 {
        let t: String = s.chars().take(57).collect();
        format!("{t}...")
    } else {
        s
    }
}
