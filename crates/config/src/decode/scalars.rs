//! Scalars by kind (split out of `Decoder::scalar`): secure strings, booleans, numbers
//! and strings (enumerations with aliases, did-you-mean, clean-up, deprecations, formats).

use super::*;
use crate::schema::ValueInfo;

impl Decoder<'_> {
    pub(super) fn secure_value(&mut self, s: &Schema, n: &Node, path: &str) -> J {
        match &n.value {
            Value::Scalar {
                value: Scalar::Str(v),
                ..
            } => {
                let env_ref = v.starts_with('$') && !v.contains(":$");
                if s.strict_secure && !env_ref {
                    self.msg(
                        Level::Alert,
                        path,
                        "secure",
                        json!({"type": "str"}),
                        Some(n.span),
                        "expected an encrypted string".into(),
                        Some("encrypt it with `travis encrypt` or use a repository setting".into()),
                    );
                }
                J::String(v.clone())
            }
            Value::Map(m) if m.len() == 1 && m[0].0.name == "secure" => {
                let inner = m[0].1.to_json();
                if let Some(sv) = inner.as_str() {
                    if s.strict_secure && !strict_base64(sv) {
                        let p = format!("{path}.secure");
                        let val = json!({"secure": sv});
                        self.msg(
                            Level::Warn,
                            &p,
                            "invalid_secure",
                            json!({"value": val}),
                            Some(m[0].1.span),
                            format!("invalid value on secure string: {}", short(&val)),
                            None,
                        );
                    }
                }
                json!({"secure": inner})
            }
            Value::Scalar {
                value: Scalar::Int(i),
                ..
            } => J::String(i.to_string()),
            Value::Scalar {
                value: Scalar::Bool(b),
                ..
            } => J::String(b.to_string()),
            _ => {
                self.invalid_type("str", n, path);
                n.to_json()
            }
        }
    }

    pub(super) fn bool_value(&mut self, s: &Schema, n: &Node, path: &str) -> J {
        let b = as_bool(n, |v| {
            let l = v.to_ascii_lowercase();
            if TRUE_STRS.contains(&l.as_str()) {
                Some(true)
            } else if FALSE_STRS.contains(&l.as_str()) {
                Some(false)
            } else {
                None
            }
        });
        match b {
            Some(b) => {
                if let Some(allowed) = &s.bool_enum {
                    if !allowed.contains(&b) {
                        self.msg(
                            Level::Error,
                            path,
                            "unknown_value",
                            json!({"value": b}),
                            Some(n.span),
                            format!("dropping unknown value: {b}"),
                            None,
                        );
                    }
                }
                J::Bool(b)
            }
            None => {
                self.invalid_type("bool", n, path);
                n.to_json()
            }
        }
    }

    pub(super) fn num_value(&mut self, n: &Node, path: &str) -> J {
        match &n.value {
            Value::Scalar {
                value: Scalar::Int(i),
                ..
            } => J::from(*i),
            Value::Scalar {
                value: Scalar::Str(v),
                ..
            } => match v.parse::<i64>() {
                Ok(i) => J::from(i),
                Err(_) => match v.parse::<f64>() {
                    Ok(f) => serde_json::Number::from_f64(f)
                        .map(J::Number)
                        .unwrap_or(J::Null),
                    Err(_) => {
                        self.invalid_type("num", n, path);
                        n.to_json()
                    }
                },
            },
            _ => {
                self.invalid_type("num", n, path);
                n.to_json()
            }
        }
    }

    pub(super) fn str_value(
        &mut self,
        s: &Schema,
        n: &Node,
        path: &str,
        enumeration: Option<&Vec<String>>,
        values: &HashMap<String, ValueInfo>,
        pattern: Option<&str>,
    ) -> J {
        let mut v = match &n.value {
            Value::Scalar {
                value: Scalar::Str(v),
                ..
            } => v.clone(),
            Value::Scalar {
                value: Scalar::Int(i),
                ..
            } => i.to_string(),
            Value::Scalar {
                value: Scalar::Bool(b),
                ..
            } => b.to_string(),
            _ => {
                self.invalid_type("str", n, path);
                return n.to_json();
            }
        };
        if let Some(en) = enumeration {
            v = self.enum_value(s, n, path, en, values, v);
        }
        if let Some(p) = pattern {
            if !matches_format(p, &v) {
                self.msg(
                    Level::Error,
                    path,
                    "invalid_format",
                    json!({"format": p, "value": v}),
                    Some(n.span),
                    format!("dropping invalid format {v}"),
                    Some("expected e.g. `~> 1.0`".into()),
                );
            }
        }
        J::String(v)
    }

    /// A value of an enumeration: lower-cased, an alias resolved, a near miss or a
    /// cleaned-up spelling taken, else an error; deprecated values warned about.
    fn enum_value(
        &mut self,
        s: &Schema,
        n: &Node,
        path: &str,
        en: &[String],
        values: &HashMap<String, ValueInfo>,
        mut v: String,
    ) -> String {
        if s.downcase && v.chars().any(|c| c.is_uppercase()) {
            let lower = v.to_lowercase();
            self.msg(
                Level::Info,
                path,
                "downcase",
                json!({"value": v}),
                Some(n.span),
                format!("using lower case of {v}"),
                None,
            );
            v = lower;
        }
        if !en.contains(&v) {
            // aliases
            let alias = values
                .iter()
                .find(|(_, info)| info.aliases.contains(&v))
                .map(|(k, _)| k.clone());
            if let Some(target) = alias {
                self.msg(
                    Level::Info,
                    path,
                    "alias_value",
                    json!({"alias": v, "value": target}),
                    Some(n.span),
                    format!("the value {v} is an alias for {target}, using {target}"),
                    None,
                );
                v = target;
            } else if let Some(m) = levenshtein_match(en.iter().map(String::as_str), &v) {
                self.msg(
                    Level::Warn,
                    path,
                    "find_value",
                    json!({"original": v, "value": m}),
                    Some(n.span),
                    format!("value `{v}` is not known, but `{m}` is, using `{m}`"),
                    None,
                );
                v = m;
            } else {
                let cleaned: String = v
                    .lines()
                    .next()
                    .unwrap_or("")
                    .chars()
                    .filter(|c| c.is_alphanumeric() || *c == '_' || *c == '-' || *c == '.')
                    .collect();
                if cleaned != v && en.contains(&cleaned) {
                    self.msg(
                        Level::Warn,
                        path,
                        "clean_value",
                        json!({"original": v, "value": cleaned}),
                        Some(n.span),
                        format!("value `{v}` is not known, but `{cleaned}` is, using `{cleaned}`"),
                        None,
                    );
                    v = cleaned;
                } else {
                    self.msg(
                        Level::Error,
                        path,
                        "unknown_value",
                        json!({"value": v}),
                        Some(n.span),
                        format!("dropping unknown value: {v}"),
                        Some(format!("known values: {}", en.join(", "))),
                    );
                }
            }
        }
        if let Some(info) = values.get(&v).and_then(|i| i.deprecated.clone()) {
            self.msg(
                Level::Warn,
                path,
                "deprecated_value",
                json!({"value": v, "info": info}),
                Some(n.span),
                format!("deprecated value: {v:?} ({info})"),
                None,
            );
        }
        v
    }
}
