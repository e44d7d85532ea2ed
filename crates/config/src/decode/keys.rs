//! Key fixes of a map (travis-yml's `fix`): aliases, whitespace, dashes, unsupported
//! characters and near misses resolved and reported, renamed keys placed.

use super::*;

impl Decoder<'_> {
    /// Key fixes of one map (travis-yml's `fix`): known keys kept, aliases, near misses
    /// and cleaned-up keys resolved ([`key_fix`], in travis-yml's precedence order) and
    /// reported ([`Self::report_key_fix`]), renamed keys placed ([`place_moved`]).
    pub(super) fn fix_keys<'n>(
        &mut self,
        s: &Arc<Schema>,
        props: &[(String, Arc<Schema>)],
        strict: bool,
        entries: &'n [(Key, Node)],
        path: &str,
    ) -> Vec<Fixed<'n>> {
        let mut fixed: Vec<Fixed<'n>> = Vec::new();
        let mut moved: Vec<(String, &Key, &Node)> = Vec::new();
        for (k, v) in entries {
            if props.is_empty() || s.index.contains_key(&k.name) || is_custom(&k.name) {
                fixed.push((k.name.clone(), k, v, false));
                continue;
            }
            let name = k.name.clone();
            if matches!(
                name.as_str(),
                ".configured" | ".result" | "fetching_failed" | "parsing_failed"
            ) {
                continue;
            }
            match key_fix(s, props, strict, &name) {
                Some((target, level, code)) => {
                    let target_given = entries.iter().any(|(kk, _)| kk.name == target);
                    self.report_key_fix(path, k, &name, (&target, level, code), target_given);
                    // a renamed key takes the place of an existing target key (Ruby Hash
                    // assignment keeps position), otherwise it is appended at the end
                    moved.push((target, k, v));
                }
                None => fixed.push((name, k, v, false)),
            }
        }
        place_moved(s, props, fixed, moved)
    }

    /// The finding(s) of one fixed key: `alias_key` (plus `overwrite` when the target is
    /// given too), or `strip_key` / `underscore_key` / `clean_key` / `find_key`.
    pub(super) fn report_key_fix(
        &mut self,
        path: &str,
        k: &Key,
        name: &str,
        (target, level, code): (&str, Level, &str),
        target_given: bool,
    ) {
        if code == "alias_key" {
            self.msg(
                level,
                path,
                code,
                json!({"alias": name, "key": target}),
                Some(k.span),
                format!("the key {name} is an alias for {target}, using {target}"),
                None,
            );
            if target_given {
                self.msg(
                    Level::Error,
                    path,
                    "overwrite",
                    json!({"key": name, "other": target}),
                    Some(k.span),
                    format!("both {name} and {target} given. {name} overwrites {target}"),
                    None,
                );
            }
            return;
        }
        let (message, help) = match code {
            "find_key" => (
                format!("unknown key `{name}`, did you mean `{target}`?"),
                Some(format!("travis-yml uses `{target}`")),
            ),
            "strip_key" => (
                format!("key `{name}` contains whitespace, using `{target}`"),
                None,
            ),
            "underscore_key" => (
                format!("key `{name}` is not underscored, using `{target}`"),
                None,
            ),
            _ => (
                format!("key `{name}` contains unsupported characters, using `{target}`"),
                None,
            ),
        };
        self.msg(
            level,
            path,
            code,
            json!({"original": name, "key": target}),
            Some(k.span),
            message,
            help,
        );
    }
}

/// A map entry after the key fixes: (name, key, value, moved by a fix).
pub(super) type Fixed<'n> = (String, &'n Key, &'n Node, bool);

/// The fix travis-yml applies to an unknown key `name`, in its order of precedence:
/// an alias, whitespace stripped, dashes underscored, unsupported characters cleaned,
/// or (strict maps only) the nearest known key; with its level and code.
pub(super) fn key_fix(
    s: &Schema,
    props: &[(String, Arc<Schema>)],
    strict: bool,
    name: &str,
) -> Option<(String, Level, &'static str)> {
    let prop = |name: &str| s.prop(name).cloned();
    let alias_of = |name: &str| s.alias_of(name).cloned();
    let dealias = |key: &str| alias_of(key).or_else(|| alias_of(&key.replace('-', "_")));
    if let Some(other) = dealias(name) {
        return Some((other, Level::Info, "alias_key"));
    }
    let known = |k: &str| prop(k).is_some() || dealias(k).is_some();
    let stripped = name.trim().to_string();
    let underscored = name.replace('-', "_");
    let cleaned = clean_key(name);
    if stripped != name && known(&stripped) {
        let t = dealias(&stripped).unwrap_or(stripped);
        Some((t, Level::Warn, "strip_key"))
    } else if underscored != name && known(&underscored) {
        let t = dealias(&underscored).unwrap_or(underscored);
        Some((t, Level::Info, "underscore_key"))
    } else if cleaned != name && known(&cleaned) {
        let t = dealias(&cleaned).unwrap_or(cleaned);
        Some((t, Level::Warn, "clean_key"))
    } else if strict {
        let mut names: Vec<&str> = props.iter().map(|(k, _)| k.as_str()).collect();
        for (_, ps) in props.iter() {
            for a in &ps.aliases {
                names.push(a.as_str());
            }
        }
        names.retain(|n| !R_KEYS.contains(n));
        let m = levenshtein_match(names.into_iter(), name)?;
        let t = alias_of(&m).unwrap_or(m);
        Some((t, Level::Warn, "find_key"))
    } else {
        None
    }
}

/// Renamed keys take the place of an existing entry of their target name (Ruby Hash
/// assignment keeps position) or go at the end; then unknown (and private) keys come
/// first, as travis-yml re-inserts the known ones.
pub(super) fn place_moved<'n>(
    s: &Schema,
    props: &[(String, Arc<Schema>)],
    mut fixed: Vec<Fixed<'n>>,
    moved: Vec<(String, &'n Key, &'n Node)>,
) -> Vec<Fixed<'n>> {
    // First position of each name in `fixed` (a hash map, not a scan per moved key).
    let mut slot_of: HashMap<String, usize> = HashMap::with_capacity(fixed.len());
    for (i, e) in fixed.iter().enumerate() {
        slot_of.entry(e.0.clone()).or_insert(i);
    }
    for (target, k, v) in moved {
        if let Some(&i) = slot_of.get(&target) {
            let slot = &mut fixed[i];
            slot.1 = k;
            slot.2 = v;
            slot.3 = true;
        } else {
            slot_of.insert(target.clone(), fixed.len());
            fixed.push((target, k, v, true));
        }
    }
    let (unknown_first, known): (Vec<_>, Vec<_>) = fixed
        .into_iter()
        .partition(|e| !props.is_empty() && s.prop(&e.0).is_none());
    let mut fixed = unknown_first;
    fixed.extend(known);
    fixed
}
