//! Planning a build: the build-level filters Travis applies when it accepts a request
//! (`[skip ci]`, `branches:`, root `if:`), then travis-yml's pipeline — matrix expansion
//! (`Matrix#jobs`), stages (`Configs::Stages`), allow_failures, reordering — and job
//! numbering. Every job, stage or rule that does not apply is reported with a reason.

use crate::support::{self, expand_index};
use crate::{BuildFacts, BuildPlan, Event, Job, Skipped, Stage};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

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

    // Stage names by their ASCII-lower-cased spelling (first spelling wins), so that each
    // job finds its stage in constant time.
    let mut stage_by_key: HashMap<String, usize> = HashMap::with_capacity(stage_names.len());
    for (i, n) in stage_names.iter().enumerate() {
        stage_by_key.entry(n.to_ascii_lowercase()).or_insert(i);
    }
    let mut out_jobs = Vec::with_capacity(jobs.len());
    for (ix, cand) in jobs.into_iter().enumerate() {
        // The stage's own spelling (from `stages:` or its first job), so that `Job::stage`
        // always equals one of `BuildPlan::stages[].name`; `config.stage` keeps the job's.
        let own = cand.cfg.get("stage").and_then(Value::as_str).unwrap_or("");
        let stage = stage_by_key
            .get(&own.to_ascii_lowercase())
            .map(|&i| stage_names[i].clone())
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
        let mut stages: Vec<Stage> = stage_names
            .iter()
            .map(|name| Stage {
                name: name.clone(),
                named: true,
                jobs: Vec::new(),
            })
            .collect();
        // Stage names are distinct case-insensitively (see `apply_stages`), so each job
        // belongs to at most one stage.
        for j in &out_jobs {
            if let Some(&i) = stage_by_key.get(&j.stage.to_ascii_lowercase()) {
                stages[i].jobs.push(j.number.clone());
            }
        }
        stages
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
    let global = global_values(root, &axes);
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

    // uniq, then the filter on `if`
    jobs = dedup(jobs, skipped);
    filter_if(jobs, facts, skipped)
}

/// The jobs whose `if:` holds; the others are skipped with the reason.
fn filter_if(jobs: Vec<Cand>, facts: &BuildFacts, skipped: &mut Vec<Skipped>) -> Vec<Cand> {
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

/// travis-yml's `with_global`: the first value of each root axis but `env`.
fn global_values(root: &Obj, axes: &[&str]) -> Obj {
    axes.iter()
        .filter(|k| **k != "env")
        .filter_map(|k| {
            let v = root.get(*k)?;
            let first = match v {
                Value::Array(a) => a.first().cloned().unwrap_or(Value::Null),
                other => other.clone(),
            };
            Some(((*k).to_string(), first))
        })
        .collect()
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
    // with_global_env: `(global + own).uniq`. The global part is made unique once; each
    // job then only looks up its own entries (hash lookups, linear in the entries).
    if let Some(global) = global_env(root) {
        let global = uniq(global);
        let in_global: HashSet<&Value> = global.iter().collect();
        for job in jobs.iter_mut() {
            let mut env = global.clone();
            if let Some(Value::Array(own)) = job.cfg.get("env") {
                let mut seen: HashSet<&Value> = HashSet::with_capacity(own.len());
                env.extend(
                    own.iter()
                        .filter(|v| !in_global.contains(v) && seen.insert(v))
                        .cloned(),
                );
            }
            job.cfg.insert("env".into(), Value::Array(env));
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
    let global_list = global_env(root).unwrap_or_default();
    let global: HashSet<&Value> = global_list.iter().collect();
    let rules: Vec<&Obj> = excludes.iter().map(|(_, r)| *r).collect();
    // A job's env as exclude rules see it: without the global entries, null when absent.
    let any_env = rules.iter().any(|r| r.contains_key("env"));
    let envs: Vec<Value> = jobs
        .iter()
        .map(|j| {
            if any_env {
                exclude_env(&j.cfg, &global)
            } else {
                Value::Null
            }
        })
        .collect();
    let cands = exclude_candidates(&rules, &jobs, &envs);
    // Per job, the rules that may match it, in rule order.
    let mut per_job: Vec<Vec<usize>> = vec![Vec::new(); jobs.len()];
    for (n, js) in cands.iter().enumerate() {
        for &j in js {
            per_job[j].push(n);
        }
    }
    let mut noted_rule = vec![false; excludes.len()];
    let mut kept = Vec::with_capacity(jobs.len());
    'job: for ((job, env), rules_of_job) in jobs.into_iter().zip(&envs).zip(per_job) {
        for n in rules_of_job {
            let (ix, rule) = excludes[n];
            if !exclude_matches(rule, &job.cfg, env) {
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

/// [`candidates`] for exclude rules; `envs[j]` is job j's [`exclude_env`].
fn exclude_candidates(rules: &[&Obj], jobs: &[Cand], envs: &[Value]) -> Vec<Vec<usize>> {
    candidates(
        rules,
        jobs.len(),
        |k| k != "if" && k != "stage",
        |k, j| {
            Some(match k {
                "env" => envs[j].clone(),
                _ => Value::Array(wrap(jobs[j].cfg.get(k))),
            })
        },
        |k, v| match k {
            "env" => v.clone(),
            _ => Value::Array(wrap(Some(v))),
        },
        |_, _| None,
    )
}

/// A job's `env` as `jobs.exclude` compares it: the list without the global entries,
/// other values as they are, null when the job has none.
fn exclude_env(job: &Obj, global: &HashSet<&Value>) -> Value {
    match job.get("env") {
        Some(Value::Array(a)) => {
            Value::Array(a.iter().filter(|v| !global.contains(v)).cloned().collect())
        }
        Some(other) => other.clone(),
        None => Value::Null,
    }
}

/// `env` is the job's [`exclude_env`].
fn exclude_matches(rule: &Obj, job: &Obj, env: &Value) -> bool {
    rule.iter()
        .filter(|(k, _)| k.as_str() != "if")
        .all(|(key, value)| match key.as_str() {
            "env" => env == value,
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

/// For each rule (an exclude or allow_failures entry), the jobs it may match, ascending:
/// a superset of the jobs it does match, found by hash lookups instead of comparing every
/// rule with every job (which is quadratic with many rules and many jobs).
///
/// A rule key `k` for which `indexed(k)` holds matches a job only when
/// `job_side(k, job) == Some(rule_side(k, value))`. `extra(rule, n)` may narrow a rule
/// down further (a list of jobs that must contain every job it matches). Each rule takes
/// the shortest of its lists; a rule with none may match every job.
fn candidates(
    rules: &[&Obj],
    n_jobs: usize,
    indexed: impl Fn(&str) -> bool,
    job_side: impl Fn(&str, usize) -> Option<Value>,
    rule_side: impl Fn(&str, &Value) -> Value,
    extra: impl Fn(&Obj, usize) -> Option<Vec<usize>>,
) -> Vec<Vec<usize>> {
    let mut keys: Vec<&str> = Vec::new();
    let mut key_seen: HashSet<&str> = HashSet::new();
    for r in rules {
        for k in r.keys() {
            if indexed(k) && key_seen.insert(k.as_str()) {
                keys.push(k.as_str());
            }
        }
    }
    let sides: Vec<Vec<Option<Value>>> = keys
        .iter()
        .map(|k| (0..n_jobs).map(|j| job_side(k, j)).collect())
        .collect();
    let mut postings: HashMap<&str, HashMap<&Value, Vec<usize>>> = HashMap::new();
    for (k, side) in keys.iter().zip(&sides) {
        let mut post: HashMap<&Value, Vec<usize>> = HashMap::new();
        for (j, v) in side.iter().enumerate() {
            if let Some(v) = v {
                post.entry(v).or_default().push(j);
            }
        }
        postings.insert(k, post);
    }
    rules
        .iter()
        .enumerate()
        .map(|(n, r)| {
            let mut best: Option<Vec<usize>> = extra(r, n);
            for (k, v) in r.iter().filter(|(k, _)| indexed(k)) {
                let list = postings
                    .get(k.as_str())
                    .and_then(|p| p.get(&rule_side(k, v)));
                let len = list.map_or(0, Vec::len);
                if best.as_ref().is_none_or(|b| len < b.len()) {
                    best = Some(list.cloned().unwrap_or_default());
                }
            }
            best.unwrap_or_else(|| (0..n_jobs).collect())
        })
        .collect()
}

fn wrap(v: Option<&Value>) -> Vec<Value> {
    match v {
        None => vec![Value::Null],
        Some(Value::Array(a)) => a.clone(),
        Some(other) => vec![other.clone()],
    }
}

fn dedup(jobs: Vec<Cand>, skipped: &mut Vec<Skipped>) -> Vec<Cand> {
    // `Map`'s hash agrees with its (order-insensitive) equality, so a hash set finds
    // earlier equal configs in linear time.
    let keep: Vec<bool> = {
        let mut seen: HashSet<&Obj> = HashSet::with_capacity(jobs.len());
        jobs.iter().map(|j| seen.insert(&j.cfg)).collect()
    };
    let mut out: Vec<Cand> = Vec::with_capacity(jobs.len());
    for (job, keep) in jobs.into_iter().zip(keep) {
        if !keep {
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

/// The `stage` a job names, if any.
fn job_stage(c: &Cand) -> Option<String> {
    c.cfg
        .get("stage")
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// The root's `stages` section.
fn stage_defs(root: &Obj) -> Vec<StageDef> {
    match root.get("stages") {
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
    }
}

/// Stages, travis-yml's way: jobs without a `stage` take the previous job's (the first
/// ones `test`), the stages are the `stages` section then the jobs' own, a stage runs
/// when its `if:` holds and it has jobs; jobs of skipped stages are skipped. Returns the
/// names of the stages kept and their jobs.
fn apply_stages(
    root: &Obj,
    mut jobs: Vec<Cand>,
    facts: &BuildFacts,
    skipped: &mut Vec<Skipped>,
) -> (Vec<String>, Vec<Cand>) {
    let configs = stage_defs(root);
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
    let kept_stages = kept_stages(root, configs, &jobs, facts, skipped);
    let kept_keys: HashSet<String> = kept_stages.iter().map(|k| k.to_ascii_lowercase()).collect();
    let mut kept = Vec::with_capacity(jobs.len());
    for job in jobs {
        let s = job_stage(&job).unwrap_or_default();
        if kept_keys.contains(&s.to_ascii_lowercase()) {
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

/// The names of the stages that run: all stages (the stages section, then names of
/// jobs, unique case-insensitively) whose `if:` holds and that hold jobs.
fn kept_stages(
    root: &Obj,
    configs: Vec<StageDef>,
    jobs: &[Cand],
    facts: &BuildFacts,
    skipped: &mut Vec<Skipped>,
) -> Vec<String> {
    let mut stages: Vec<StageDef> = Vec::new();
    let mut stage_keys: HashSet<Option<String>> = HashSet::new();
    let all = configs
        .into_iter()
        .chain(jobs.iter().filter_map(job_stage).map(|n| StageDef {
            name: Some(n),
            cond: None,
        }));
    for s in all {
        if stage_keys.insert(s.name.as_deref().map(str::to_lowercase)) {
            stages.push(s);
        }
    }
    // The stages that hold jobs, by ASCII-lower-cased name (as `eq_ignore_ascii_case`).
    let job_stages: HashSet<String> = jobs
        .iter()
        .filter_map(|j| j.cfg.get("stage").and_then(Value::as_str))
        .map(str::to_ascii_lowercase)
        .collect();
    let has_jobs = |name: &Option<String>| {
        name.as_deref()
            .is_some_and(|n| job_stages.contains(&n.to_ascii_lowercase()))
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
        if !has_jobs(&stage.name) {
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
    kept_stages
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
    if rules.is_empty() {
        return jobs;
    }
    let global_list = global_env(root).unwrap_or_default();
    let global: HashSet<&Value> = global_list.iter().collect();
    let lfts = own_envs(&jobs, &global);
    let rule_objs: Vec<&Obj> = rules.iter().map(|(_, r)| *r).collect();
    let cands = allow_failure_candidates(&rule_objs, &jobs, &lfts, &global);
    for ((ix, rule), cand) in rules.into_iter().zip(cands) {
        for j in cand {
            let job = &mut jobs[j];
            if !allow_failure_matches(rule, &job.cfg, lfts[j].as_deref(), &global, facts) {
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

/// Each job's own env entries (its env list without the global ones), when it is a list.
fn own_envs(jobs: &[Cand], global: &HashSet<&Value>) -> Vec<Option<Vec<Value>>> {
    jobs.iter()
        .map(|j| match j.cfg.get("env") {
            Some(Value::Array(a)) => {
                Some(a.iter().filter(|v| !global.contains(v)).cloned().collect())
            }
            _ => None,
        })
        .collect()
}

/// [`candidates`] for allow_failures rules, before any of them is applied; `lfts[j]` is
/// job j's env list without the global entries (None when its env is not a list).
fn allow_failure_candidates(
    rules: &[&Obj],
    jobs: &[Cand],
    lfts: &[Option<Vec<Value>>],
    global: &HashSet<&Value>,
) -> Vec<Vec<usize>> {
    // Jobs by each own env entry they hold: a rule's non-global env entries must all be
    // among a job's own entries for the rule to match it.
    let mut by_entry: HashMap<&Value, Vec<usize>> = HashMap::new();
    for (j, lft) in lfts.iter().enumerate() {
        for v in lft.iter().flatten() {
            let list = by_entry.entry(v).or_default();
            if list.last() != Some(&j) {
                list.push(j);
            }
        }
    }
    candidates(
        rules,
        jobs.len(),
        // `allow_failure` is not indexed: earlier rules set it on the jobs they match.
        |k| !matches!(k, "if" | "branch" | "env" | "allow_failure"),
        |k, j| jobs[j].cfg.get(k).cloned(),
        |_, v| v.clone(),
        |rule, _| {
            let value = rule.get("env")?;
            let rgt: Vec<&Value> = match value {
                Value::Array(a) => a.iter().collect(),
                other => vec![other],
            };
            // The rarest non-global entry; none: the env key does not narrow the rule.
            rgt.iter()
                .filter(|v| !global.contains(*v))
                .map(|v| by_entry.get(*v).cloned().unwrap_or_default())
                .min_by_key(Vec::len)
        },
    )
}

/// `lft` is the job's env list without the global entries (None when env is not a list).
fn allow_failure_matches(
    rule: &Obj,
    job: &Obj,
    lft: Option<&[Value]>,
    global: &HashSet<&Value>,
    facts: &BuildFacts,
) -> bool {
    rule.iter()
        .filter(|(k, _)| k.as_str() != "if")
        .all(|(key, value)| match key.as_str() {
            "branch" => value.as_str() == Some(facts.branch.as_str()),
            "env" => {
                let Some(lft) = lft else {
                    return false;
                };
                let rgt: Vec<&Value> = match value {
                    Value::Array(a) => a.iter().collect(),
                    other => vec![other],
                };
                if lft.len() == rgt.len() && lft.iter().zip(&rgt).all(|(l, r)| l == *r) {
                    return true;
                }
                let own: HashSet<&Value> = lft.iter().collect();
                let others: Vec<&&Value> = rgt.iter().filter(|v| !own.contains(*v)).collect();
                !others.is_empty() && others.iter().all(|v| global.contains(**v))
            }
            _ => job.get(key) == Some(value),
        })
}

fn reorder(stages: &[String], jobs: Vec<Cand>) -> Vec<Cand> {
    let mut names: HashMap<String, usize> = HashMap::with_capacity(stages.len());
    for (i, s) in stages.iter().enumerate() {
        names.entry(s.to_lowercase()).or_insert(i);
    }
    let mut keyed: Vec<(Option<usize>, bool, usize, Cand)> = jobs
        .into_iter()
        .enumerate()
        .map(|(ix, c)| {
            let stage = c
                .cfg
                .get("stage")
                .and_then(Value::as_str)
                .map(str::to_lowercase);
            let pos = stage.and_then(|s| names.get(&s).copied());
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
pub fn env_summary(env: &Value) -> String {
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

/// A scalar as text (`3.8`, `true`, `bionic`); `None` for arrays, maps and null.
pub fn scalar_str(v: &Value) -> Option<String> {
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

/// Ruby's `Array#uniq`: the first of equal values, in order (hashing, so linear).
fn uniq(v: Vec<Value>) -> Vec<Value> {
    let keep: Vec<bool> = {
        let mut seen: HashSet<&Value> = HashSet::with_capacity(v.len());
        v.iter().map(|x| seen.insert(x)).collect()
    };
    v.into_iter()
        .zip(keep)
        .filter_map(|(x, k)| k.then_some(x))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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

    fn cand(cfg: Value) -> Cand {
        Cand {
            cfg: cfg.as_object().cloned().unwrap_or_default(),
            origin: Origin::Matrix,
        }
    }

    /// A tiny deterministic generator (no dependency, same cases on every run).
    struct Lcg(u64);
    impl Lcg {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % n
        }
    }

    fn random_env(rng: &mut Lcg) -> Value {
        let pool = [
            json!({"G": "1"}),
            json!({"A": "1"}),
            json!({"A": "2"}),
            json!({"B": "1"}),
            json!({"A": "1", "B": "2"}),
            json!("A=1"),
        ];
        match rng.below(5) {
            0 => Value::Null,
            1 => pool[rng.below(6) as usize].clone(),
            _ => Value::Array(
                (0..rng.below(4))
                    .map(|_| pool[rng.below(6) as usize].clone())
                    .collect(),
            ),
        }
    }

    fn random_obj(rng: &mut Lcg, rule: bool) -> Value {
        let mut m = Obj::new();
        let oses = [json!("linux"), json!("osx"), json!(["linux"]), Value::Null];
        if rng.below(2) == 0 {
            m.insert("os".into(), oses[rng.below(4) as usize].clone());
        }
        if rng.below(2) == 0 {
            m.insert(
                "python".into(),
                json!(["3.8", "3.9"][rng.below(2) as usize]),
            );
        }
        if rng.below(3) > 0 {
            m.insert("env".into(), random_env(rng));
        }
        if rng.below(3) == 0 {
            m.insert(
                "stage".into(),
                json!(["test", "Test", "deploy"][rng.below(3) as usize]),
            );
        }
        if rule && rng.below(4) == 0 {
            m.insert("branch".into(), json!("master"));
        }
        if rng.below(5) == 0 {
            m.insert("allow_failure".into(), json!(true));
        }
        Value::Object(m)
    }

    /// The index may only leave out pairs that do not match: every (rule, job) pair for
    /// which the full comparison holds is among the candidates.
    #[test]
    fn rule_index_keeps_every_match() {
        let facts = BuildFacts::push("o/r", "master");
        let global_list = [json!({"G": "1"})];
        let global: HashSet<&Value> = global_list.iter().collect();
        let mut rng = Lcg(7);
        let mut matched = 0;
        for _ in 0..200 {
            let jobs: Vec<Cand> = (0..12).map(|_| cand(random_obj(&mut rng, false))).collect();
            let rule_vals: Vec<Value> = (0..8).map(|_| random_obj(&mut rng, true)).collect();
            let rules: Vec<&Obj> = rule_vals.iter().filter_map(Value::as_object).collect();

            let envs: Vec<Value> = jobs.iter().map(|j| exclude_env(&j.cfg, &global)).collect();
            let cands = exclude_candidates(&rules, &jobs, &envs);
            for (n, rule) in rules.iter().enumerate() {
                for (j, job) in jobs.iter().enumerate() {
                    if exclude_matches(rule, &job.cfg, &envs[j]) {
                        matched += 1;
                        assert!(cands[n].contains(&j), "exclude {rule:?} / {:?}", job.cfg);
                    }
                }
            }

            let lfts = own_envs(&jobs, &global);
            let cands = allow_failure_candidates(&rules, &jobs, &lfts, &global);
            for (n, rule) in rules.iter().enumerate() {
                for (j, job) in jobs.iter().enumerate() {
                    if allow_failure_matches(rule, &job.cfg, lfts[j].as_deref(), &global, &facts) {
                        matched += 1;
                        assert!(cands[n].contains(&j), "allow {rule:?} / {:?}", job.cfg);
                    }
                }
            }
        }
        assert!(
            matched > 200,
            "the generator should produce matches ({matched})"
        );
    }

    /// N rules that each match one of N jobs get one candidate each: N checks, not N².
    #[test]
    fn rule_index_is_linear() {
        let n = 5_000;
        let global_list = [json!({"G": "1"})];
        let global: HashSet<&Value> = global_list.iter().collect();
        let jobs: Vec<Cand> = (0..n)
            .map(|i| cand(json!({"os": "linux", "env": [{"G": "1"}, {"J": i.to_string()}]})))
            .collect();
        let rule_vals: Vec<Value> = (0..n)
            .map(|i| json!({"os": "linux", "env": [{"J": i.to_string()}]}))
            .collect();
        let rules: Vec<&Obj> = rule_vals.iter().filter_map(Value::as_object).collect();
        let envs: Vec<Value> = jobs.iter().map(|j| exclude_env(&j.cfg, &global)).collect();
        let total: usize = exclude_candidates(&rules, &jobs, &envs)
            .iter()
            .map(Vec::len)
            .sum();
        assert_eq!(total, n);
        let lfts: Vec<Option<Vec<Value>>> = envs.iter().map(|e| e.as_array().cloned()).collect();
        let total: usize = allow_failure_candidates(&rules, &jobs, &lfts, &global)
            .iter()
            .map(Vec::len)
            .sum();
        assert_eq!(total, n);
    }

    #[test]
    fn uniq_keeps_first_of_equal_values() {
        let v = vec![
            json!({"A": "1", "B": "2"}),
            json!("x"),
            json!({"B": "2", "A": "1"}),
            json!("x"),
            json!(1),
        ];
        assert_eq!(
            uniq(v),
            vec![json!({"A": "1", "B": "2"}), json!("x"), json!(1)]
        );
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
