//! Planning a build: the build-level filters Travis applies when it accepts a request
//! (`[skip ci]`, `branches:`, root `if:`), then travis-yml's pipeline — matrix expansion
//! (`Matrix#jobs`), stages (`Configs::Stages`), allow_failures, reordering — and job
//! numbering. Every job, stage or rule that does not apply is reported with a reason.

use crate::support::{self, expand_index};
use crate::{BuildFacts, BuildPlan, Event, Job, Skipped, Stage};
use serde_json::{Map, Value};

type Obj = Map<String, Value>;

/// Root keys that are neither shared with jobs nor matrix axes (`Matrix::DROP`).
const DROP: &[&str] = &[
    "jobs",
    "import",
    "stages",
    "notifications",
    "version",
    "allow_failure",
    "global_env",
    "merge_mode",
];

/// Where an expanded job came from (for messages).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Origin {
    Matrix,
    Include(usize),
    Default,
}

#[derive(Debug, Clone)]
struct Cand {
    cfg: Obj,
    origin: Origin,
}

/// Compute the jobs Travis would run for the normalised `config` under `facts`: build-level
/// filters first (a rejected build has no jobs, `runs == false` and a `reason`), then
/// [`expand`].
pub fn plan(config: &Value, facts: &BuildFacts) -> BuildPlan {
    let Some(root) = config.as_object() else {
        return rejected(
            "the config is not a mapping, so Travis would not create a build".into(),
            config,
        );
    };
    if let Some(reason) = build_filter(root, facts) {
        return rejected(reason, config);
    }
    expand(config, facts)
}

fn rejected(reason: String, config: &Value) -> BuildPlan {
    BuildPlan {
        runs: false,
        skipped: vec![Skipped {
            kind: "build".into(),
            what: "build".into(),
            reason: reason.clone(),
        }],
        reason: Some(reason),
        stages: vec![],
        jobs: vec![],
        fast_finish: fast_finish(config),
    }
}

fn fast_finish(config: &Value) -> bool {
    config.pointer("/jobs/fast_finish").is_some_and(truthy)
}

/// travis-yml's own pipeline only (no `branches:`/root `if:`/`[skip ci]`): what
/// `/v1/expand`-style expansion gives, which is what `jobs` in `expected/*.json` records.
pub fn expand(config: &Value, facts: &BuildFacts) -> BuildPlan {
    let empty = Obj::new();
    let Some(root) = config.as_object() else {
        // travis-yml produces no jobs for a config that is not a mapping (or did not parse).
        let mut plan = BuildPlan {
            runs: false,
            reason: None,
            stages: vec![],
            jobs: vec![],
            skipped: vec![],
            fast_finish: false,
        };
        plan.reason = Some("the config is not a mapping, so there are no jobs".into());
        let _ = empty;
        return plan;
    };
    let mut skipped = Vec::new();
    let jobs = matrix_jobs(root, facts, &mut skipped);
    let (stage_names, jobs) = apply_stages(root, jobs, facts, &mut skipped);
    let jobs = allow_failures(root, jobs, facts, &mut skipped);
    let jobs = reorder(&stage_names, jobs);
    let jobs = dedup(jobs, &mut skipped);

    let mut out_jobs = Vec::with_capacity(jobs.len());
    for (ix, cand) in jobs.into_iter().enumerate() {
        // The stage's own spelling (from `stages:` or its first job), so that `Job::stage`
        // always equals one of `BuildPlan::stages[].name`; `config.stage` keeps the job's.
        let own = cand.cfg.get("stage").and_then(Value::as_str).unwrap_or("");
        let stage = stage_names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(own))
            .cloned()
            .unwrap_or_else(|| own.to_string());
        let name = cand.cfg.get("name").and_then(scalar_str);
        let allow_failure = cand.cfg.get("allow_failure").is_some_and(truthy);
        out_jobs.push(Job {
            number: format!("{}.{}", facts.build_number, ix + 1),
            stage,
            name,
            allow_failure,
            config: Value::Object(cand.cfg),
        });
    }
    let stages = if stage_names.is_empty() {
        if out_jobs.is_empty() {
            vec![]
        } else {
            vec![Stage {
                name: String::new(),
                named: false,
                jobs: out_jobs.iter().map(|j| j.number.clone()).collect(),
            }]
        }
    } else {
        stage_names
            .iter()
            .map(|name| Stage {
                name: name.clone(),
                named: true,
                jobs: out_jobs
                    .iter()
                    .filter(|j| j.stage.eq_ignore_ascii_case(name))
                    .map(|j| j.number.clone())
                    .collect(),
            })
            .collect()
    };
    let (runs, reason) = if out_jobs.is_empty() {
        (
            false,
            Some(
                "no job is left to run: every job was filtered out (see the skipped list)"
                    .to_string(),
            ),
        )
    } else {
        (true, None)
    };
    BuildPlan {
        runs,
        reason,
        stages,
        jobs: out_jobs,
        skipped,
        fast_finish: fast_finish(config),
    }
}

// ---------------------------------------------------------------------------------------
// Build-level filters

fn build_filter(root: &Obj, facts: &BuildFacts) -> Option<String> {
    if matches!(facts.event, Event::Push | Event::PullRequest) {
        if let Some(msg) = &facts.commit_message {
            if let Some(tag) = skip_ci_tag(msg) {
                return Some(format!("the commit message contains `{tag}`"));
            }
        }
    }
    if let Some(reason) = branches_filter(root.get("branches"), facts) {
        return Some(reason);
    }
    if let Some(cond) = root.get("if").and_then(cond_text) {
        let cfacts = root_condition_facts(root, facts);
        match eval_condition(&cond, &cfacts) {
            Ok(true) => {}
            Ok(false) => {
                return Some(format!("root `if: {cond}` is false for {}", context(facts)));
            }
            Err(e) => {
                return Some(format!("root `if: {cond}` {e}, which counts as false"));
            }
        }
    }
    None
}

/// `[skip ci]`, `[ci skip]`, `[skip travis]`, `[travis skip]` (case-insensitive, spaces
/// allowed inside the brackets), as Travis checks commit messages.
fn skip_ci_tag(msg: &str) -> Option<String> {
    let lower = msg.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut i = 0;
    while let Some(off) = lower[i..].find('[') {
        let start = i + off;
        if let Some(end_off) = lower[start..].find(']') {
            let inner = &lower[start + 1..start + end_off];
            let words: Vec<&str> = inner.split_whitespace().collect();
            let compact: String = inner.chars().filter(|c| !c.is_whitespace()).collect();
            let ok = matches!(
                compact.as_str(),
                "skipci" | "ciskip" | "skiptravis" | "travisskip"
            ) && words.len() <= 2;
            if ok {
                return Some(msg[start..start + end_off + 1].to_string());
            }
            i = start + 1;
        } else {
            break;
        }
        if i >= bytes.len() {
            break;
        }
    }
    None
}

fn branches_filter(branches: Option<&Value>, facts: &BuildFacts) -> Option<String> {
    // Tag builds are filtered by the tag name (it is their branch on Travis).
    let branch = facts.tag.as_deref().unwrap_or(facts.branch.as_str());
    let what = if facts.tag.is_some() { "tag" } else { "branch" };
    let list = |key: &str| -> Option<Vec<String>> {
        let v = branches?.get(key)?;
        let items: Vec<String> = match v {
            Value::Array(a) => a.iter().filter_map(scalar_str).collect(),
            other => scalar_str(other).into_iter().collect(),
        };
        // Legacy: string values are also split on commas.
        Some(
            items
                .iter()
                .flat_map(|s| {
                    if s.starts_with('/') && s.ends_with('/') && s.len() >= 2 {
                        vec![s.clone()]
                    } else {
                        s.split(',')
                            .map(|p| p.trim().to_string())
                            .filter(|p| !p.is_empty())
                            .collect()
                    }
                })
                .collect(),
        )
    };
    let only = list("only");
    let except = list("except");
    if let Some(only) = &only {
        if !only.iter().any(|p| branch_matches(p, branch)) {
            return Some(format!(
                "{what} `{branch}` not in branches.only ({})",
                only.join(", ")
            ));
        }
        return None; // the safelist wins over except
    }
    if let Some(except) = &except {
        if let Some(p) = except.iter().find(|p| branch_matches(p, branch)) {
            return Some(format!(
                "{what} `{branch}` is excluded by branches.except (`{p}`)"
            ));
        }
    }
    let lower = branch.to_ascii_lowercase();
    if lower == "gh-pages" || lower == "gh_pages" {
        return Some(format!("branch `{branch}` is a GitHub Pages branch, which Travis builds only when listed in branches.only"));
    }
    None
}

/// `/regex/` entries are (Ruby) regular expressions searched anywhere in the name; other
/// entries must equal the branch exactly.
pub(crate) fn branch_matches(pattern: &str, branch: &str) -> bool {
    if pattern.len() >= 2 && pattern.starts_with('/') && pattern.ends_with('/') {
        let body = &pattern[1..pattern.len() - 1];
        match fancy_regex::Regex::new(body) {
            Ok(re) => re.is_match(branch).unwrap_or(false),
            Err(_) => false,
        }
    } else {
        pattern == branch
    }
}

fn context(facts: &BuildFacts) -> String {
    let mut s = match (&facts.tag, facts.event) {
        (Some(tag), _) => format!("tag `{tag}`"),
        (None, Event::PullRequest) => format!(
            "a pull request into branch `{}`{}",
            facts.branch,
            facts
                .pull_request
                .map(|n| format!(" (#{n})"))
                .unwrap_or_default()
        ),
        (None, _) => format!("branch `{}`", facts.branch),
    };
    if !matches!(facts.event, Event::Push | Event::PullRequest) {
        s.push_str(&format!(" (event {})", facts.event));
    }
    s
}

// ---------------------------------------------------------------------------------------
// Conditions

/// Text of an `if:` value: strings as they are, other scalars stringified; lists/maps are
/// not conditions (upstream ignores them).
fn cond_text(v: &Value) -> Option<String> {
    match v {
        Value::Null | Value::Array(_) | Value::Object(_) => None,
        other => scalar_str(other),
    }
}

/// Evaluate a condition; Err carries a human explanation ("is invalid: ..." /
/// "could not be evaluated: ...").
fn eval_condition(cond: &str, facts: &travis_local_condition::Facts) -> Result<bool, String> {
    let expr = travis_local_condition::parse(cond)
        .map_err(|e| format!("is invalid ({} at offset {})", e.message, e.offset))?;
    travis_local_condition::eval(&expr, facts).map_err(|e| format!("could not be evaluated ({e})"))
}

/// Facts for a condition on `cfg` (a job, or the root for stages and the root `if:`):
/// the build facts, overridden by the config's `os`, `dist`, `group`, `sudo`, `language`,
/// and its env (all `env` lists flattened, later entries win).
fn condition_facts(cfg: &Obj, facts: &BuildFacts) -> travis_local_condition::Facts {
    let mut f = facts.condition_facts();
    let get = |k: &str| cfg.get(k).and_then(ruby_to_s);
    if let Some(v) = get("os") {
        f.os = Some(v);
    }
    if let Some(v) = get("dist") {
        f.dist = Some(v);
    }
    if let Some(v) = get("group") {
        f.group = Some(v);
    }
    if let Some(v) = get("sudo") {
        f.sudo = Some(v);
    }
    if let Some(v) = get("language") {
        f.language = Some(v);
    }
    if let Some(env) = cfg.get("env") {
        let mut vars = Vec::new();
        match env {
            Value::Object(m) => {
                for key in ["global", "jobs", "matrix"] {
                    if let Some(v) = m.get(key) {
                        collect_env(v, &mut vars);
                    }
                }
            }
            other => collect_env(other, &mut vars),
        }
        f.env = vars;
    }
    f
}

fn root_condition_facts(root: &Obj, facts: &BuildFacts) -> travis_local_condition::Facts {
    condition_facts(root, facts)
}

fn collect_env(v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| collect_env(i, out)),
        Value::Object(m) => {
            for (k, v) in m {
                // Secure values are unknown locally; they are not visible to conditions.
                if let Some(s) = scalar_str(v) {
                    out.push((k.clone(), s));
                }
            }
        }
        Value::String(s) => {
            for pair in s.split_whitespace() {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                out.push((k.to_string(), v.to_string()));
            }
        }
        _ => {}
    }
}

/// Ruby's `to_s` for a config value as a condition sees it: strings as they are, lists
/// printed like Ruby's `inspect` (so `os = linux` is false for `os: [linux]`, as upstream).
fn ruby_to_s(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::Array(items) => Some(format!(
            "[{}]",
            items
                .iter()
                .map(|i| match i {
                    Value::String(s) => format!("{s:?}"),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Value::Object(_) => None,
        other => scalar_str(other),
    }
}

/// Evaluate an item's `if` against `cfg`; `None` when accepted, else the skip reason.
fn check_if(cond: Option<&Value>, cfg: &Obj, facts: &BuildFacts) -> Option<String> {
    let cond = cond.and_then(cond_text)?;
    let f = condition_facts(cfg, facts);
    match eval_condition(&cond, &f) {
        Ok(true) => None,
        Ok(false) => Some(format!("`if: {cond}` is false for {}", context(facts))),
        Err(e) => Some(format!("`if: {cond}` {e}, which counts as false")),
    }
}

// ---------------------------------------------------------------------------------------
// Matrix#jobs

fn matrix_jobs(root: &Obj, facts: &BuildFacts, skipped: &mut Vec<Skipped>) -> Vec<Cand> {
    // Root keys sorted by their position among the expand keys (others last, stable).
    let mut sorted: Vec<(&String, &Value)> = root.iter().collect();
    sorted.sort_by_key(|(k, _)| expand_index(k).unwrap_or(usize::MAX));

    // Matrix axes: expand keys whose value is present and non-blank after compaction and
    // that the root's language/os support.
    let axes: Vec<&str> = sorted
        .iter()
        .filter(|(k, v)| expand_index(k).is_some() && !is_blank(&compact(v)))
        .map(|(k, _)| k.as_str())
        .filter(|k| support::key_supported(root, k))
        .collect();

    // expand
    let mut jobs: Vec<Cand> = expand_axes(root, &axes)
        .into_iter()
        .map(|cfg| Cand {
            cfg,
            origin: Origin::Matrix,
        })
        .collect();

    // with_included
    let included = included(root);
    if !included.is_empty() && jobs.len() == 1 {
        let single = axes.iter().all(|k| match jobs[0].cfg.get(*k) {
            Some(Value::Array(a)) => a.len() == 1,
            _ => true,
        });
        if single {
            jobs.clear();
        }
    }
    jobs.extend(included);

    // with_default / with_shared
    let shared: Obj = sorted
        .iter()
        .filter(|(k, v)| expand_index(k).is_none() && !DROP.contains(&k.as_str()) && !is_blank(v))
        .map(|(k, v)| ((*k).clone(), (*v).clone()))
        .collect();
    if jobs.is_empty() {
        jobs.push(Cand {
            cfg: shared.clone(),
            origin: Origin::Default,
        });
    }

    // with_global: included jobs inherit the first value of each root axis (not env).
    let global: Obj = axes
        .iter()
        .filter(|k| **k != "env")
        .filter_map(|k| {
            let v = root.get(*k)?;
            let first = match v {
                Value::Array(a) => a.first().cloned().unwrap_or(Value::Null),
                other => other.clone(),
            };
            Some(((*k).to_string(), first))
        })
        .collect();
    // global.merge(shared.merge(job)) in one pass: keys in global's order, then shared's,
    // then the job's own; the job's values win over shared ones, which win over global.
    for job in &mut jobs {
        let own = std::mem::take(&mut job.cfg);
        job.cfg = layer(&global, &shared, own);
    }

    // with_env
    apply_env(root, &mut jobs);

    // without_excluded
    jobs = without_excluded(root, jobs, facts, skipped);

    // without_unsupported
    for job in &mut jobs {
        let snapshot: Obj = ["language", "os", "arch"]
            .iter()
            .filter_map(|k| job.cfg.get(*k).map(|v| (k.to_string(), v.clone())))
            .collect();
        job.cfg.retain(|k, v| support::supported(&snapshot, k, v));
    }

    // uniq
    jobs = dedup(jobs, skipped);

    // filter on `if`
    let mut kept = Vec::with_capacity(jobs.len());
    for job in jobs {
        match check_if(job.cfg.get("if"), &job.cfg, facts) {
            None => kept.push(job),
            Some(reason) => skipped.push(Skipped {
                kind: "job".into(),
                what: describe(&job),
                reason,
            }),
        }
    }
    kept
}

fn expand_axes(root: &Obj, axes: &[&str]) -> Vec<Obj> {
    if axes.is_empty() {
        return vec![];
    }
    let values: Vec<Vec<Value>> = axes
        .iter()
        .map(|k| {
            let v = root.get(*k).cloned().unwrap_or(Value::Null);
            let v = if *k == "env" {
                match &v {
                    Value::Object(m) if m.contains_key("jobs") => {
                        m.get("jobs").cloned().unwrap_or(Value::Null)
                    }
                    _ => v,
                }
            } else {
                v
            };
            match v {
                Value::Array(a) => a,
                other => vec![other],
            }
        })
        .collect();
    // Cartesian product, first axis varying slowest.
    let mut out: Vec<Obj> = vec![Obj::new()];
    for (k, vals) in axes.iter().zip(&values) {
        let mut next = Vec::with_capacity(out.len() * vals.len());
        for job in &out {
            for v in vals {
                let mut j = job.clone();
                j.insert((*k).to_string(), v.clone());
                next.push(j);
            }
        }
        out = next;
    }
    out
}

/// `jobs.include` entries (maps only), with stage inheritance from the previous entry.
fn included(root: &Obj) -> Vec<Cand> {
    let Some(Value::Object(jobs)) = root.get("jobs") else {
        return vec![];
    };
    let entries: Vec<&Value> = match jobs.get("include") {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(a)) => flatten(a),
        Some(other) => vec![other],
    };
    let mut out = Vec::new();
    let mut stage: Option<Value> = None;
    for (ix, e) in entries.iter().enumerate() {
        let Value::Object(m) = e else { continue };
        let mut m = m.clone();
        match m.get("stage") {
            Some(v) if truthy_ruby(v) => stage = Some(v.clone()),
            _ => {
                if let Some(s) = &stage {
                    m.insert("stage".into(), s.clone());
                }
            }
        }
        out.push(Cand {
            cfg: m,
            origin: Origin::Include(ix),
        });
    }
    out
}

fn flatten(a: &[Value]) -> Vec<&Value> {
    let mut out = Vec::new();
    for v in a {
        match v {
            Value::Array(inner) => out.extend(flatten(inner)),
            other => out.push(other),
        }
    }
    out
}

fn global_env(root: &Obj) -> Option<Vec<Value>> {
    match root.get("env")?.get("global")? {
        Value::Array(a) => Some(a.clone()),
        Value::Null | Value::Bool(false) => None,
        other => Some(vec![other.clone()]),
    }
}

fn apply_env(root: &Obj, jobs: &mut [Cand]) {
    // with_env_arrays
    for job in jobs.iter_mut() {
        if let Some(env) = job.cfg.get_mut("env") {
            if truthy_ruby(env) {
                *env = Value::Array(env_array(env));
            }
        }
    }
    // with_first_env
    let first_env = match root.get("env") {
        Some(Value::Array(a)) => a.first().cloned(),
        Some(Value::Object(m)) => match m.get("jobs") {
            Some(Value::Array(a)) => a.first().cloned(),
            _ => None,
        },
        _ => None,
    }
    .filter(truthy_ruby);
    if let Some(first) = first_env {
        for job in jobs.iter_mut() {
            if !job.cfg.get("env").is_some_and(truthy_ruby) {
                job.cfg
                    .insert("env".into(), Value::Array(vec![first.clone()]));
            }
        }
    }
    // with_global_env
    if let Some(global) = global_env(root) {
        for job in jobs.iter_mut() {
            let mut env = global.clone();
            if let Some(Value::Array(own)) = job.cfg.get("env") {
                env.extend(own.iter().cloned());
            }
            job.cfg.insert("env".into(), Value::Array(uniq(env)));
        }
    }
}

fn env_array(env: &Value) -> Vec<Value> {
    match env {
        Value::Object(m) => {
            let mut m = m.clone();
            m.shift_remove("global");
            if m.is_empty() {
                vec![]
            } else {
                vec![Value::Object(m)]
            }
        }
        Value::Array(a) => a.iter().flat_map(env_array).collect(),
        other => vec![other.clone()],
    }
}

fn without_excluded(
    root: &Obj,
    jobs: Vec<Cand>,
    facts: &BuildFacts,
    skipped: &mut Vec<Skipped>,
) -> Vec<Cand> {
    let excludes: Vec<(usize, &Obj)> = match root.get("jobs") {
        Some(Value::Object(j)) => match j.get("exclude") {
            None | Some(Value::Null) => vec![],
            Some(Value::Array(a)) => flatten(a)
                .into_iter()
                .enumerate()
                .filter_map(|(i, v)| v.as_object().map(|m| (i, m)))
                .collect(),
            Some(Value::Object(m)) => vec![(0, m)],
            Some(_) => vec![],
        },
        _ => vec![],
    };
    if excludes.is_empty() {
        return jobs;
    }
    let global = global_env(root).unwrap_or_default();
    let mut noted_rule = vec![false; excludes.len()];
    let mut kept = Vec::with_capacity(jobs.len());
    'job: for job in jobs {
        for (n, (ix, rule)) in excludes.iter().enumerate() {
            if !exclude_matches(rule, &job.cfg, &global) {
                continue;
            }
            if let Some(reason) = check_if(rule.get("if"), &job.cfg, facts) {
                if !noted_rule[n] {
                    noted_rule[n] = true;
                    skipped.push(Skipped {
                        kind: "exclude".into(),
                        what: format!("jobs.exclude[{ix}]"),
                        reason: format!("not applied to {}: {reason}", describe(&job)),
                    });
                }
                continue;
            }
            skipped.push(Skipped {
                kind: "job".into(),
                what: describe(&job),
                reason: format!("excluded by jobs.exclude[{ix}]"),
            });
            continue 'job;
        }
        kept.push(job);
    }
    kept
}

fn exclude_matches(rule: &Obj, job: &Obj, global: &[Value]) -> bool {
    rule.iter()
        .filter(|(k, _)| k.as_str() != "if")
        .all(|(key, value)| match key.as_str() {
            "env" => {
                let env = job.get("env").map(|e| match e {
                    Value::Array(a) => {
                        Value::Array(a.iter().filter(|v| !global.contains(v)).cloned().collect())
                    }
                    other => other.clone(),
                });
                env.as_ref() == Some(value) || (env.is_none() && value.is_null())
            }
            "stage" => {
                let name = value.as_str().unwrap_or_default();
                match job.get("stage") {
                    Some(s) => s == value,
                    None => name.eq_ignore_ascii_case("test"),
                }
            }
            _ => wrap(job.get(key)) == wrap(Some(value)),
        })
}

fn wrap(v: Option<&Value>) -> Vec<Value> {
    match v {
        None => vec![Value::Null],
        Some(Value::Array(a)) => a.clone(),
        Some(other) => vec![other.clone()],
    }
}

fn dedup(jobs: Vec<Cand>, skipped: &mut Vec<Skipped>) -> Vec<Cand> {
    let mut out: Vec<Cand> = Vec::with_capacity(jobs.len());
    for job in jobs {
        if out.iter().any(|o| o.cfg == job.cfg) {
            skipped.push(Skipped {
                kind: "job".into(),
                what: describe(&job),
                reason:
                    "identical to an earlier job after expansion (travis-yml collapses duplicates)"
                        .into(),
            });
        } else {
            out.push(job);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Stages

struct StageDef {
    name: Option<String>,
    cond: Option<Value>,
}

fn apply_stages(
    root: &Obj,
    mut jobs: Vec<Cand>,
    facts: &BuildFacts,
    skipped: &mut Vec<Skipped>,
) -> (Vec<String>, Vec<Cand>) {
    let configs: Vec<StageDef> = match root.get("stages") {
        Some(Value::Array(a)) => a
            .iter()
            .map(|s| match s {
                Value::Object(m) => StageDef {
                    name: m.get("name").and_then(scalar_str),
                    cond: m.get("if").cloned(),
                },
                other => StageDef {
                    name: scalar_str(other),
                    cond: None,
                },
            })
            .collect(),
        _ => vec![],
    };
    let job_stage = |c: &Cand| {
        c.cfg
            .get("stage")
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    if configs.is_empty() && !jobs.iter().any(|j| job_stage(j).is_some()) {
        return (vec![], jobs);
    }
    // Default name: the first spelling of `test` among stage names, else `test`.
    let default_name = configs
        .iter()
        .filter_map(|s| s.name.clone())
        .chain(jobs.iter().filter_map(job_stage))
        .find(|n| n.eq_ignore_ascii_case("test"))
        .unwrap_or_else(|| "test".to_string());
    let mut current = default_name;
    for job in &mut jobs {
        match job_stage(job) {
            Some(s) => current = s,
            None => {
                job.cfg
                    .insert("stage".into(), Value::String(current.clone()));
            }
        }
    }
    // All stages: the stages section, then names of jobs, unique case-insensitively.
    let mut stages: Vec<StageDef> = Vec::new();
    let all = configs
        .into_iter()
        .chain(jobs.iter().filter_map(job_stage).map(|n| StageDef {
            name: Some(n),
            cond: None,
        }));
    for s in all {
        let key = s.name.as_deref().map(str::to_lowercase);
        if !stages
            .iter()
            .any(|o| o.name.as_deref().map(str::to_lowercase) == key)
        {
            stages.push(s);
        }
    }
    let has_jobs = |name: &Option<String>, jobs: &[Cand]| {
        jobs.iter().any(|j| match (name, job_stage(j)) {
            (Some(n), Some(s)) => n.eq_ignore_ascii_case(&s),
            _ => false,
        })
    };
    let mut kept_stages: Vec<String> = Vec::new();
    for (ix, stage) in stages.iter().enumerate() {
        let label = stage.name.clone().unwrap_or_else(|| format!("#{}", ix + 1));
        if let Some(reason) = check_if(stage.cond.as_ref(), root, facts) {
            skipped.push(Skipped {
                kind: "stage".into(),
                what: format!("`{label}`"),
                reason: reason.clone(),
            });
            continue;
        }
        if !has_jobs(&stage.name, &jobs) {
            if stage.name.is_some() {
                skipped.push(Skipped {
                    kind: "stage".into(),
                    what: format!("`{label}`"),
                    reason: "no job is in this stage".into(),
                });
            }
            continue;
        }
        if let Some(n) = &stage.name {
            kept_stages.push(n.clone());
        }
    }
    let mut kept = Vec::with_capacity(jobs.len());
    for job in jobs {
        let s = job_stage(&job).unwrap_or_default();
        if kept_stages.iter().any(|k| k.eq_ignore_ascii_case(&s)) {
            kept.push(job);
        } else {
            skipped.push(Skipped {
                kind: "job".into(),
                what: describe(&job),
                reason: format!("its stage `{s}` is skipped"),
            });
        }
    }
    (kept_stages, kept)
}

// ---------------------------------------------------------------------------------------
// allow_failures, reorder

fn allow_failures(
    root: &Obj,
    mut jobs: Vec<Cand>,
    facts: &BuildFacts,
    skipped: &mut Vec<Skipped>,
) -> Vec<Cand> {
    let rules: Vec<(usize, &Obj)> = match root.get("jobs") {
        Some(Value::Object(j)) => match j.get("allow_failures") {
            Some(Value::Array(a)) => a
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.as_object().map(|m| (i, m)))
                .collect(),
            // A single map is not a list of rules upstream (`Array(hash)` gives pairs).
            Some(_) | None => vec![],
        },
        _ => vec![],
    };
    let global = global_env(root).unwrap_or_default();
    for (ix, rule) in rules {
        for job in jobs.iter_mut() {
            if !allow_failure_matches(rule, &job.cfg, &global, facts) {
                continue;
            }
            match check_if(rule.get("if"), &job.cfg, facts) {
                None => {
                    job.cfg.insert("allow_failure".into(), Value::Bool(true));
                }
                Some(reason) => skipped.push(Skipped {
                    kind: "allow_failure".into(),
                    what: format!("jobs.allow_failures[{ix}]"),
                    reason: format!("not applied to {}: {reason}", describe(job)),
                }),
            }
        }
    }
    jobs
}

fn allow_failure_matches(rule: &Obj, job: &Obj, global: &[Value], facts: &BuildFacts) -> bool {
    rule.iter()
        .filter(|(k, _)| k.as_str() != "if")
        .all(|(key, value)| match key.as_str() {
            "branch" => value.as_str() == Some(facts.branch.as_str()),
            "env" => {
                let Some(Value::Array(lft)) = job.get("env") else {
                    return false;
                };
                let lft: Vec<&Value> = lft.iter().filter(|v| !global.contains(v)).collect();
                let rgt: Vec<&Value> = match value {
                    Value::Array(a) => a.iter().collect(),
                    other => vec![other],
                };
                if lft == rgt {
                    return true;
                }
                let others: Vec<&&Value> = rgt.iter().filter(|v| !lft.contains(v)).collect();
                !others.is_empty() && others.iter().all(|v| global.contains(v))
            }
            _ => job.get(key) == Some(value),
        })
}

fn reorder(stages: &[String], jobs: Vec<Cand>) -> Vec<Cand> {
    let names: Vec<String> = stages.iter().map(|s| s.to_lowercase()).collect();
    let mut keyed: Vec<(Option<usize>, bool, usize, Cand)> = jobs
        .into_iter()
        .enumerate()
        .map(|(ix, c)| {
            let stage = c
                .cfg
                .get("stage")
                .and_then(Value::as_str)
                .map(str::to_lowercase);
            let pos = stage.and_then(|s| names.iter().position(|n| *n == s));
            let af = c.cfg.get("allow_failure").is_some_and(truthy);
            (pos, af, ix, c)
        })
        .collect();
    keyed.sort_by_key(|k| (k.0, k.1, k.2));
    keyed.into_iter().map(|k| k.3).collect()
}

// ---------------------------------------------------------------------------------------
// helpers

/// A short human description of a job: its name, else its distinguishing keys.
fn describe(job: &Cand) -> String {
    let origin = match job.origin {
        Origin::Include(i) => format!("jobs.include[{i}]"),
        Origin::Matrix => "matrix job".to_string(),
        Origin::Default => "the default job".to_string(),
    };
    if let Some(name) = job.cfg.get("name").and_then(scalar_str) {
        return format!("{origin} (name: {name})");
    }
    let mut parts = Vec::new();
    for (k, v) in &job.cfg {
        let interesting =
            k == "os" || k == "arch" || k == "stage" || (expand_index(k).is_some() && k != "env");
        if interesting {
            if let Some(s) = scalar_str(v) {
                parts.push(format!("{k}: {s}"));
            }
        }
    }
    if let Some(env) = job.cfg.get("env") {
        let s = env_summary(env);
        if !s.is_empty() {
            parts.push(format!("env: {s}"));
        }
    }
    if parts.is_empty() {
        origin
    } else {
        format!("{origin} ({})", parts.join(", "))
    }
}

/// `A=1 B=[secure]` for a normalised env list.
pub(crate) fn env_summary(env: &Value) -> String {
    let mut out = Vec::new();
    let items: Vec<&Value> = match env {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    for item in items {
        match item {
            Value::Object(m) => {
                for (k, v) in m {
                    if k == "secure" {
                        out.push("[secure]".to_string());
                    } else if v.is_object() {
                        out.push(format!("{k}=[secure]"));
                    } else {
                        out.push(format!("{k}={}", scalar_str(v).unwrap_or_default()));
                    }
                }
            }
            Value::String(s) => out.push(s.clone()),
            _ => {}
        }
    }
    out.join(" ")
}

pub(crate) fn scalar_str(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null | Value::Bool(false) => false,
        Value::String(s) => !s.is_empty() && s != "false",
        _ => true,
    }
}

/// Ruby truthiness: only nil and false are false.
fn truthy_ruby(v: &Value) -> bool {
    !matches!(v, Value::Null | Value::Bool(false))
}

fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
        _ => false,
    }
}

/// Remove nulls and empty strings/lists/maps, recursively (upstream `compact`).
fn compact(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), compact(v)))
                .filter(|(_, v)| !is_blank(v))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(compact).filter(|v| !is_blank(v)).collect()),
        other => other.clone(),
    }
}

fn layer(global: &Obj, shared: &Obj, mut own: Obj) -> Obj {
    let mut out = Obj::with_capacity(global.len() + shared.len() + own.len());
    for (k, v) in global {
        let v = own
            .shift_remove(k)
            .or_else(|| shared.get(k).cloned())
            .unwrap_or_else(|| v.clone());
        out.insert(k.clone(), v);
    }
    for (k, v) in shared {
        if !out.contains_key(k) {
            let v = own.shift_remove(k).unwrap_or_else(|| v.clone());
            out.insert(k.clone(), v);
        }
    }
    for (k, v) in own {
        out.insert(k, v);
    }
    out
}

fn uniq(v: Vec<Value>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::with_capacity(v.len());
    for x in v {
        if !out.contains(&x) {
            out.push(x);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_ci() {
        assert_eq!(skip_ci_tag("fix [skip ci]").as_deref(), Some("[skip ci]"));
        assert_eq!(skip_ci_tag("[CI SKIP] x").as_deref(), Some("[CI SKIP]"));
        assert_eq!(
            skip_ci_tag("[skip travis]").as_deref(),
            Some("[skip travis]")
        );
        assert_eq!(skip_ci_tag("[skip] ci"), None);
        assert_eq!(skip_ci_tag("no brackets"), None);
    }

    #[test]
    fn branch_patterns() {
        assert!(branch_matches("master", "master"));
        assert!(!branch_matches("master", "master2"));
        assert!(branch_matches("/^release-.*$/", "release-1"));
        assert!(!branch_matches("/^release-.*$/", "dev"));
        assert!(!branch_matches("/(/", "x"));
    }
}
