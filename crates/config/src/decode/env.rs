//! `env` entries: `FOO=bar BAZ=qux` strings, maps and secure values, as travis-yml
//! splits and normalises them.

use super::*;

impl Decoder<'_> {
    /// One `env` entry → zero or more var maps.
    pub(super) fn env_item(&mut self, it: &Node, path: &str, ptr: &str) -> Option<Vec<J>> {
        match &it.value {
            Value::Scalar { value, .. } => match value {
                Scalar::Null => Some(vec![json!({})]),
                _ => {
                    let s = match value {
                        Scalar::Str(s) => s.clone(),
                        other => Node {
                            value: Value::Scalar {
                                value: other.clone(),
                                text: String::new(),
                                style: crate::yaml::Style::Plain,
                                tag: None,
                            },
                            span: it.span,
                        }
                        .to_json()
                        .to_string(),
                    };
                    match crate::env_vars::split(&s) {
                        Ok(pairs) => {
                            let mut m = Map::new();
                            for (k, v) in pairs {
                                self.span(self.cp(ptr, &k), it.span);
                                m.insert(k, J::String(v));
                            }
                            Some(vec![J::Object(m)])
                        }
                        Err(_) => {
                            self.msg(
                                Level::Error,
                                path,
                                "invalid_env_var",
                                json!({"var": s}),
                                Some(it.span),
                                format!("invalid env var: {s}"),
                                Some("quotes in env strings must be balanced".into()),
                            );
                            Some(vec![json!({})])
                        }
                    }
                }
            },
            Value::Map(m) => {
                let mut out = Map::new();
                for (k, v) in m {
                    let cptr = self.cp(ptr, &k.name);
                    self.span(cptr, v.span);
                    let val = if k.name == "secure" && m.len() == 1 {
                        if v.is_null() {
                            let p = format!("{path}.secure");
                            self.msg(
                                Level::Warn,
                                &p,
                                "empty",
                                json!({"key": p}),
                                Some(k.span),
                                format!("dropping empty key: {p}"),
                                None,
                            );
                            return Some(vec![]);
                        }
                        v.to_json()
                    } else {
                        match &v.value {
                            Value::Map(mm) if mm.len() == 1 && mm[0].0.name == "secure" => {
                                v.to_json()
                            }
                            Value::Scalar {
                                value: Scalar::Str(s),
                                ..
                            } => J::String(s.clone()),
                            Value::Scalar { .. } => v.to_json(),
                            _ => v.to_json(),
                        }
                    };
                    out.insert(k.name.clone(), val);
                }
                Some(vec![J::Object(out)])
            }
            Value::Seq(_) => None,
        }
    }
}
