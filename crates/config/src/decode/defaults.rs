//! Where a map's keys go and what absent keys get (travis-yml's `missing`): the prefix
//! key, the order of required and defaulted keys, defaults with their `only`/`except`
//! conditions, required keys.

use super::*;

impl Decoder<'_> {
    /// travis-yml's `missing`: the defaults of absent keys (an info finding each).
    pub(super) fn add_defaults(
        &mut self,
        props: &[(String, Arc<Schema>)],
        path: &str,
        out: &mut Map<String, J>,
    ) {
        for (k, ps) in props {
            if ps.defaults.is_empty() || out.get(k).map(|v| !v.is_null()).unwrap_or(false) {
                continue;
            }
            if let Some(d) = self.default_for(ps, out) {
                self.msg(
                    Level::Info,
                    path,
                    "default",
                    json!({"key": k, "default": d}),
                    None,
                    format!("missing {k}, using the default {d}"),
                    None,
                );
                let val = if matches!(ps.type_name(), "seq") || is_seq_schema(ps) {
                    J::Array(vec![d])
                } else {
                    d
                };
                out.insert(k.clone(), val);
            }
        }
    }

    pub(super) fn default_for(&self, ps: &Schema, siblings: &Map<String, J>) -> Option<J> {
        for d in &ps.defaults {
            let Some(v) = d.get("value") else { continue };
            let ok_only = d
                .get("only")
                .map(|c| cond_matches(c, siblings))
                .unwrap_or(true);
            let ok_except = d
                .get("except")
                .map(|c| !cond_matches(c, siblings))
                .unwrap_or(true);
            if ok_only && ok_except {
                return Some(v.clone());
            }
        }
        None
    }

    /// A `required` finding for each required key missing from `out` (not at the root).
    pub(super) fn check_required(
        &mut self,
        s: &Schema,
        out: &Map<String, J>,
        path: &str,
        span: Span,
    ) {
        for r in &s.required {
            if !out.contains_key(r) && path != "root" {
                self.msg(
                    Level::Error,
                    path,
                    "required",
                    json!({"key": r}),
                    Some(span),
                    format!("missing required key: {r}"),
                    None,
                );
            }
        }
    }
}

/// The prefix key of maps with unknown keys (`env: {FOO: 1}` → `env: {jobs: {FOO: 1}}`):
/// the new entry holding the unknown entries of `fixed`, and their positions; None when
/// the schema has no such prefix, the prefix key is given, or no key is unknown.
pub(super) fn prefix_entry(
    s: &Schema,
    props: &[(String, Arc<Schema>)],
    fixed: &[Fixed<'_>],
) -> Option<((Key, Node), Vec<usize>)> {
    let (pk, only_str) = s.prefix.as_ref()?;
    if *only_str || fixed.iter().any(|e| &e.0 == pk) {
        return None;
    }
    let unknown: Vec<usize> = fixed
        .iter()
        .enumerate()
        .filter(|(_, e)| s.prop(&e.0).is_none())
        .map(|(i, _)| i)
        .collect();
    if unknown.is_empty() || props.is_empty() {
        return None;
    }
    let inner: Vec<(Key, Node)> = unknown
        .iter()
        .map(|i| (fixed[*i].1.clone(), fixed[*i].2.clone()))
        .collect();
    let first = &fixed[unknown[0]];
    let key = Key {
        name: pk.clone(),
        span: first.1.span,
        anchored: false,
    };
    let sp = (
        first.1.span.0,
        inner.last().map(|x| x.1.span.1).unwrap_or(first.1.span.1),
    );
    let node = Node {
        value: Value::Map(inner),
        span: sp,
    };
    Some(((key, node), unknown))
}

/// The first positions of a map's output: unknown keys, then the present keys of
/// `order` (null placeholders that keep the position for their values).
pub(super) fn placeholders(
    s: &Schema,
    props: &[(String, Arc<Schema>)],
    fixed: &[Fixed<'_>],
    order: &[String],
) -> Map<String, J> {
    let mut out = Map::new();
    let present: HashSet<&String> = fixed.iter().map(|e| &e.0).collect();
    for e in fixed
        .iter()
        .filter(|e| !props.is_empty() && s.prop(&e.0).is_none())
    {
        out.insert(e.0.clone(), J::Null);
    }
    for k in order {
        if present.contains(k) {
            out.insert(k.clone(), J::Null);
        }
    }
    out
}

/// Keys travis-yml places first (its `missing`): required keys, then keys with a
/// default value.
pub(super) fn key_order(s: &Schema, props: &[(String, Arc<Schema>)]) -> Vec<String> {
    let mut order: Vec<String> = s.required.clone();
    for (k, ps) in props {
        if !ps.defaults.is_empty()
            && ps.defaults.iter().any(|d| d.get("value").is_some())
            && !order.contains(k)
        {
            order.push(k.clone());
        }
    }
    order
}

/// `out` reordered: the `unknown` keys, then those of `order`, then the rest.
pub(super) fn reorder<'k>(
    out: Map<String, J>,
    unknown: impl Iterator<Item = &'k String>,
    order: &'k [String],
) -> Map<String, J> {
    let mut re = Map::new();
    for k in unknown.chain(order) {
        if let Some(v) = out.get(k) {
            re.insert(k.clone(), v.clone());
        }
    }
    for (k, v) in out {
        if !re.contains_key(&k) {
            re.insert(k, v);
        }
    }
    re
}

pub(super) fn is_seq_schema(s: &Schema) -> bool {
    match &s.kind {
        Kind::Seq(_) => true,
        Kind::Any(alts) => alts
            .first()
            .map(|a| a.normal && matches!(a.kind, Kind::Seq(_)))
            .unwrap_or(false),
        _ => false,
    }
}

pub(super) fn cond_matches(c: &J, siblings: &Map<String, J>) -> bool {
    let Some(obj) = c.as_object() else {
        return false;
    };
    obj.iter().all(|(k, allowed)| {
        let allowed: Vec<&str> = allowed
            .as_array()
            .map(|a| a.iter().filter_map(J::as_str).collect())
            .unwrap_or_default();
        match siblings.get(k) {
            Some(J::String(s)) => allowed.contains(&s.as_str()),
            Some(J::Array(a)) => a.iter().filter_map(J::as_str).any(|s| allowed.contains(&s)),
            _ => {
                // absent: use the schema default of that key for the comparison
                match k.as_str() {
                    "os" => allowed.contains(&"linux"),
                    "language" => allowed.contains(&"ruby"),
                    _ => false,
                }
            }
        }
    })
}
