//! Deploy providers: the provider a deploy entry names, and the generic schema of an
//! entry whose provider is missing or unknown.

use super::*;

pub(super) fn provider_name(s: &Schema) -> Option<String> {
    let s = match &s.kind {
        Kind::Any(alts) => alts.iter().find(|a| a.prop("provider").is_some())?.clone(),
        _ => return provider_from_map(s),
    };
    provider_from_map(&s)
}

pub(super) fn provider_from_map(s: &Schema) -> Option<String> {
    match &s.prop("provider")?.kind {
        Kind::Str {
            enumeration: Some(e),
            ..
        } => e.first().cloned(),
        _ => None,
    }
}

/// Deploy entry whose provider is missing or unknown: the keys every provider shares.
pub(super) fn generic_provider() -> Schema {
    static G: std::sync::OnceLock<Schema> = std::sync::OnceLock::new();
    G.get_or_init(|| {
        let c = crate::schema::compiled();
        let base = c
            .root
            .prop("deploy")
            .and_then(first_map)
            .map(|m| (*m).clone());
        let mut s = match base {
            Some(s) => s,
            None => {
                let mut s = (*c.root).clone();
                s.kind = Kind::Object;
                return s;
            }
        };
        if let Kind::Map { props, .. } = &mut s.kind {
            props.retain(|(k, _)| {
                matches!(
                    k.as_str(),
                    "provider"
                        | "on"
                        | "run"
                        | "allow_failure"
                        | "cleanup"
                        | "skip_cleanup"
                        | "edge"
                )
            });
            for (k, p) in props.iter_mut() {
                if k == "provider" {
                    let mut np = (**p).clone();
                    np.kind = Kind::Str {
                        enumeration: None,
                        values: Default::default(),
                        pattern: None,
                    };
                    *p = Arc::new(np);
                }
            }
        }
        s.reindex();
        s.required = vec!["provider".into()];
        s
    })
    .clone()
}

/// The first map schema found under `s` (through seqs and anyOfs).
pub(super) fn first_map(s: &Arc<Schema>) -> Option<Arc<Schema>> {
    match &s.kind {
        Kind::Map { .. } => Some(s.clone()),
        Kind::Seq(i) => first_map(i),
        Kind::Any(alts) => alts.iter().find_map(first_map),
        _ => None,
    }
}
