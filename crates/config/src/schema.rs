//! The travis-yml schema, compiled into a tree the decoder can walk.
//!
//! One job: read `schema/travis-yml-schema.json` (travis-yml's published JSON schema with its
//! documentation stripped, see tools/strip_schema.py and README) once and turn `$ref`,
//! `allOf` and `anyOf` into [`Schema`] nodes with the per-key facts (aliases, deprecations,
//! defaults, prefixes, enums). Deviation from ARCHITECTURE.md: instead of one hand-written
//! Rust type per config section we interpret the upstream schema, so the key vocabulary,
//! aliases and deprecations match Travis without retyping hundreds of names.

use rustc_hash::FxHashMap;
use serde_json::Value as J;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

const SCHEMA_JSON: &str = include_str!("../schema/travis-yml-schema.json");

#[derive(Debug, Clone, Default)]
pub struct ValueInfo {
    pub aliases: Vec<String>,
    pub deprecated: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Kind {
    Any(Vec<Arc<Schema>>),
    Map {
        props: Vec<(String, Arc<Schema>)>,
        /// Schema for keys matched by patternProperties (free-form maps).
        pattern: Option<Arc<Schema>>,
        /// `additionalProperties: false`: unknown keys are reported.
        strict: bool,
    },
    Seq(Arc<Schema>),
    Str {
        enumeration: Option<Vec<String>>,
        values: HashMap<String, ValueInfo>,
        pattern: Option<String>,
    },
    Num,
    Bool,
    Secure,
    /// An object without properties: anything goes.
    Object,
}

#[derive(Debug, Clone)]
pub struct Schema {
    pub kind: Kind,
    pub normal: bool,
    pub aliases: Vec<String>,
    pub deprecated: Option<String>,
    pub flags: Vec<String>,
    pub defaults: Vec<J>,
    pub only: Option<J>,
    pub except: Option<J>,
    /// For secure nodes: whether a plain string is an alert (default true).
    pub strict_secure: bool,
    pub prefix: Option<(String, bool)>,
    pub changes: Vec<String>,
    pub required: Vec<String>,
    pub downcase: bool,
    pub ref_name: Option<String>,
    pub bool_enum: Option<Vec<bool>>,
    /// prop name → position in `props` (maps only)
    pub index: FxHashMap<String, usize>,
    /// key alias → prop name (maps only)
    pub alias_index: FxHashMap<String, String>,
}

/// `kind` with `strict_secure` off on its secure nodes (through `Any` and `Seq`).
fn lenient_secures(kind: &Kind) -> Kind {
    let lenient = |c: &Arc<Schema>| {
        let mut c = (**c).clone();
        c.strict_secure = false;
        c.kind = lenient_secures(&c.kind);
        Arc::new(c)
    };
    match kind {
        Kind::Any(items) => Kind::Any(items.iter().map(lenient).collect()),
        Kind::Seq(item) => Kind::Seq(lenient(item)),
        other => other.clone(),
    }
}

impl Schema {
    fn new(kind: Kind) -> Self {
        Schema {
            kind,
            normal: false,
            aliases: vec![],
            deprecated: None,
            flags: vec![],
            defaults: vec![],
            only: None,
            except: None,
            strict_secure: true,
            prefix: None,
            changes: vec![],
            required: vec![],
            downcase: false,
            ref_name: None,
            bool_enum: None,
            index: FxHashMap::default(),
            alias_index: FxHashMap::default(),
        }
    }

    /// Rebuild the key indexes after `props` changed.
    pub fn reindex(&mut self) {
        self.index.clear();
        self.alias_index.clear();
        if let Kind::Map { props, .. } = &self.kind {
            for (i, (k, p)) in props.iter().enumerate() {
                self.index.insert(k.clone(), i);
                for a in &p.aliases {
                    self.alias_index
                        .entry(a.clone())
                        .or_insert_with(|| k.clone());
                }
            }
        }
    }

    /// The prop's own alias target, if `name` is an alias of one of this map's keys.
    pub fn alias_of(&self, name: &str) -> Option<&String> {
        self.alias_index.get(name)
    }
    pub fn prop(&self, key: &str) -> Option<&Arc<Schema>> {
        match &self.kind {
            Kind::Map { props, .. } => self
                .index
                .get(key)
                .and_then(|i| props.get(*i))
                .map(|(_, s)| s),
            _ => None,
        }
    }
    pub fn is_map(&self) -> bool {
        matches!(self.kind, Kind::Map { .. } | Kind::Object)
    }
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            Kind::Any(alts) => alts.first().map(|a| a.type_name()).unwrap_or("any"),
            Kind::Map { .. } | Kind::Object => "map",
            Kind::Seq(_) => "seq",
            Kind::Str { .. } => "str",
            Kind::Num => "num",
            Kind::Bool => "bool",
            Kind::Secure => "secure",
        }
    }
}

pub struct Compiled {
    pub root: Arc<Schema>,
    pub expand: Vec<String>,
    /// Every key name the schema knows (for typo suggestions).
    pub all_keys: Vec<String>,
}

struct Compiler<'a> {
    doc: &'a J,
    memo: HashMap<String, Arc<Schema>>,
    keys: std::collections::BTreeSet<String>,
}

impl<'a> Compiler<'a> {
    fn resolve(&self, r: &str) -> Option<&'a J> {
        let path = r.strip_prefix("#/")?;
        let mut cur = self.doc;
        for part in path.split('/') {
            cur = cur.get(part)?;
        }
        Some(cur)
    }

    /// One schema node: a `$ref`, an `allOf`, an `anyOf` or a typed node, with the node's
    /// own facts (aliases, defaults, ...) applied on top.
    fn compile(&mut self, v: &J) -> Arc<Schema> {
        let base = if let Some(r) = v.get("$ref").and_then(J::as_str) {
            self.reference(r)
        } else if let Some(all) = v.get("allOf").and_then(J::as_array) {
            self.all_of(all)
        } else if let Some(any) = v.get("anyOf").and_then(J::as_array) {
            let alts = any.iter().map(|p| self.compile(p)).collect();
            Arc::new(Schema::new(Kind::Any(alts)))
        } else {
            self.typed(v)
        };
        overrides(base, v)
    }

    /// `$ref`: compiled once per target and named after it.
    fn reference(&mut self, r: &str) -> Arc<Schema> {
        if r == "#/definitions/type/secure" {
            return Arc::new(Schema::new(Kind::Secure));
        }
        if let Some(s) = self.memo.get(r) {
            return s.clone();
        }
        let t = self.resolve(r).cloned().unwrap_or(J::Null);
        let mut s = (*self.compile(&t)).clone();
        s.ref_name = Some(r.rsplit('/').next().unwrap_or("").to_string());
        let s = Arc::new(s);
        self.memo.insert(r.to_string(), s.clone());
        s
    }

    /// `allOf`: one strict map with the props of every part (first one wins), taking the
    /// first part's aliases, prefix and changes.
    fn all_of(&mut self, all: &[J]) -> Arc<Schema> {
        let parts: Vec<Arc<Schema>> = all.iter().map(|p| self.compile(p)).collect();
        let mut props: Vec<(String, Arc<Schema>)> = Vec::new();
        let mut strict = false;
        fn collect(s: &Schema, props: &mut Vec<(String, Arc<Schema>)>, strict: &mut bool) {
            match &s.kind {
                Kind::Map {
                    props: p,
                    strict: st,
                    ..
                } => {
                    *strict |= *st;
                    for (k, v) in p {
                        if !props.iter().any(|(kk, _)| kk == k) {
                            props.push((k.clone(), v.clone()));
                        }
                    }
                }
                Kind::Any(alts) => {
                    for a in alts {
                        collect(a, props, strict)
                    }
                }
                _ => {}
            }
        }
        for p in &parts {
            collect(p, &mut props, &mut strict);
        }
        let mut s = Schema::new(Kind::Map {
            props,
            pattern: None,
            strict: true,
        });
        s.reindex();
        if let Some(first) = parts.first() {
            s.aliases = first.aliases.clone();
            s.prefix = first.prefix.clone();
            s.changes = first.changes.clone();
        }
        Arc::new(s)
    }

    /// A node with a `type` (object, array, string, number, boolean; anything else is
    /// an object).
    fn typed(&mut self, v: &J) -> Arc<Schema> {
        let ty = v.get("type").and_then(J::as_str).unwrap_or("");
        let kind = match ty {
            "object" => self.object(v),
            "array" => Kind::Seq(
                v.get("items")
                    .map(|i| self.compile(i))
                    .unwrap_or_else(|| Arc::new(Schema::new(Kind::Object))),
            ),
            "string" => string_kind(v),
            "number" => Kind::Num,
            "boolean" => Kind::Bool,
            _ => Kind::Object,
        };
        let mut s = Schema::new(kind);
        s.reindex();
        if ty == "boolean" {
            s.bool_enum = v
                .get("enum")
                .and_then(J::as_array)
                .map(|a| a.iter().filter_map(J::as_bool).collect());
        }
        Arc::new(s)
    }

    /// `type: object`: its properties (every key name and alias remembered for typo
    /// suggestions) and pattern properties; without either, any object.
    fn object(&mut self, v: &J) -> Kind {
        let mut props = Vec::new();
        if let Some(p) = v.get("properties").and_then(J::as_object) {
            for (k, pv) in p {
                self.keys.insert(k.clone());
                let child = self.compile(pv);
                for a in &child.aliases {
                    self.keys.insert(a.clone());
                }
                props.push((k.clone(), child));
            }
        }
        let pattern = v
            .get("patternProperties")
            .and_then(J::as_object)
            .and_then(|m| m.values().next())
            .map(|pv| self.compile(pv));
        let strict = v.get("additionalProperties") == Some(&J::Bool(false));
        if props.is_empty() && pattern.is_none() {
            Kind::Object
        } else {
            Kind::Map {
                props,
                pattern,
                strict,
            }
        }
    }
}

/// `type: string`: its enum, its known values (aliases, deprecations) and pattern.
fn string_kind(v: &J) -> Kind {
    let enumeration = v.get("enum").and_then(J::as_array).map(|a| {
        a.iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect()
    });
    let mut values = HashMap::new();
    if let Some(vals) = v.get("values").and_then(J::as_object) {
        for (k, info) in vals {
            values.insert(
                k.clone(),
                ValueInfo {
                    aliases: strs(info.get("aliases")),
                    deprecated: info
                        .get("deprecated")
                        .and_then(J::as_str)
                        .map(str::to_string),
                },
            );
        }
    }
    Kind::Str {
        enumeration,
        values,
        pattern: v.get("pattern").and_then(J::as_str).map(str::to_string),
    }
}

/// The schema node's own facts applied on top of the referenced / built one (`base`
/// is returned as is when the node has none).
fn overrides(base: Arc<Schema>, v: &J) -> Arc<Schema> {
    let has_over = [
        "normal",
        "aliases",
        "deprecated",
        "flags",
        "defaults",
        "only",
        "except",
        "strict",
        "prefix",
        "changes",
        "required",
        "downcase",
    ]
    .iter()
    .any(|k| v.get(*k).is_some());
    if !has_over {
        return base;
    }
    let mut s = (*base).clone();
    if v.get("normal") == Some(&J::Bool(true)) {
        s.normal = true;
    }
    if let Some(a) = v.get("aliases") {
        s.aliases = strs(Some(a));
    }
    if let Some(d) = v.get("deprecated").and_then(J::as_str) {
        s.deprecated = Some(d.to_string());
    }
    if let Some(f) = v.get("flags") {
        s.flags = strs(Some(f));
    }
    if let Some(d) = v.get("defaults").and_then(J::as_array) {
        s.defaults = d.clone();
    }
    if let Some(o) = v.get("only") {
        s.only = Some(o.clone());
    }
    if let Some(o) = v.get("except") {
        s.except = Some(o.clone());
    }
    if v.get("strict") == Some(&J::Bool(false)) {
        s.strict_secure = false;
        // `secures` with `strict: false` (addons.ssh_known_hosts): the list items and
        // the single value accept plain strings too, as travis-yml does.
        s.kind = lenient_secures(&s.kind);
    }
    if let Some(p) = v.get("prefix") {
        let key = p.get("key").and_then(J::as_str).unwrap_or("").to_string();
        let only_str = p
            .get("only")
            .and_then(J::as_array)
            .map(|a| a.iter().any(|x| x == "str"))
            .unwrap_or(false);
        s.prefix = Some((key, only_str));
    }
    if let Some(c) = v.get("changes").and_then(J::as_array) {
        s.changes = c
            .iter()
            .filter_map(|x| x.get("change").and_then(J::as_str).map(str::to_string))
            .collect();
    }
    if let Some(r) = v.get("required") {
        s.required = strs(Some(r));
    }
    if v.get("downcase") == Some(&J::Bool(true)) {
        s.downcase = true;
    }
    Arc::new(s)
}

fn strs(v: Option<&J>) -> Vec<String> {
    v.and_then(J::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

pub fn compiled() -> &'static Compiled {
    static C: OnceLock<Compiled> = OnceLock::new();
    C.get_or_init(|| {
        let doc: J = serde_json::from_str(SCHEMA_JSON).unwrap_or(J::Null);
        let mut c = Compiler {
            doc: &doc,
            memo: HashMap::new(),
            keys: Default::default(),
        };
        let root_def =
            serde_json::json!({"allOf": doc.get("allOf").cloned().unwrap_or(J::Array(vec![]))});
        let root = c.compile(&root_def);
        let expand = strs(doc.get("expand"));
        let all_keys = c.keys.iter().cloned().collect();
        Compiled {
            root,
            expand,
            all_keys,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn root_has_core_keys() {
        let c = compiled();
        for k in [
            "language", "os", "dist", "env", "jobs", "script", "deploy", "python", "rvm",
        ] {
            assert!(c.root.prop(k).is_some(), "missing {k}");
        }
        assert!(c
            .root
            .prop("jobs")
            .unwrap()
            .aliases
            .contains(&"matrix".to_string()));
        assert!(c.root.prop("sudo").unwrap().deprecated.is_some());
    }
}
