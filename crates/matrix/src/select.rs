//! Job selection for `compile`, `run` and `jobs`: by number (`1.3`, or `3` for the third
//! job), by name, or by stage.

use crate::{BuildPlan, Job};

/// Select jobs from `plan`.
///
/// Each selector is a job number (`1.3`, or `3` meaning the third job) or a job name (exact
/// match first, then case-insensitive). Jobs are returned in plan order without duplicates.
/// `stage` keeps only jobs of that stage (case-insensitive). No selectors and no stage
/// selects every job. An unknown selector or stage is an error that lists what exists.
pub fn select<'a>(
    plan: &'a BuildPlan,
    selectors: &[String],
    stage: Option<&str>,
) -> Result<Vec<&'a Job>, String> {
    let mut picked = vec![false; plan.jobs.len()];
    if selectors.is_empty() {
        picked.iter_mut().for_each(|p| *p = true);
    }
    for sel in selectors {
        let sel = sel.trim();
        let hits = match_selector(plan, sel);
        if hits.is_empty() {
            return Err(format!("no job matches `{sel}`; {}", available(plan)));
        }
        for i in hits {
            picked[i] = true;
        }
    }
    if let Some(stage) = stage {
        let stage = stage.trim();
        if !plan
            .stages
            .iter()
            .any(|s| s.named && s.name.eq_ignore_ascii_case(stage))
        {
            let names: Vec<&str> = plan
                .stages
                .iter()
                .filter(|s| s.named)
                .map(|s| s.name.as_str())
                .collect();
            return Err(if names.is_empty() {
                format!("no stage `{stage}`: this build has no stages")
            } else {
                format!("no stage `{stage}`; stages are: {}", names.join(", "))
            });
        }
        for (i, job) in plan.jobs.iter().enumerate() {
            if !job.stage.eq_ignore_ascii_case(stage) {
                picked[i] = false;
            }
        }
    }
    let out: Vec<&Job> = plan
        .jobs
        .iter()
        .zip(picked)
        .filter(|(_, p)| *p)
        .map(|(j, _)| j)
        .collect();
    if out.is_empty() {
        return Err(format!("the selection matches no job; {}", available(plan)));
    }
    Ok(out)
}

fn match_selector(plan: &BuildPlan, sel: &str) -> Vec<usize> {
    // Job number `N.M` or position `M`.
    if let Some(i) = plan.jobs.iter().position(|j| j.number == sel) {
        return vec![i];
    }
    if !sel.is_empty() && sel.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(n) = sel.parse::<usize>() {
            if let Some(i) = plan.jobs.iter().position(|j| j.index() == n) {
                return vec![i];
            }
        }
    }
    // Name: exact, else case-insensitive. All jobs with that name are selected.
    let exact: Vec<usize> = plan
        .jobs
        .iter()
        .enumerate()
        .filter(|(_, j)| j.name.as_deref() == Some(sel))
        .map(|(i, _)| i)
        .collect();
    if !exact.is_empty() {
        return exact;
    }
    plan.jobs
        .iter()
        .enumerate()
        .filter(|(_, j)| {
            j.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(sel))
        })
        .map(|(i, _)| i)
        .collect()
}

fn available(plan: &BuildPlan) -> String {
    if plan.jobs.is_empty() {
        return "the build has no jobs".into();
    }
    let list: Vec<String> = plan
        .jobs
        .iter()
        .map(|j| match &j.name {
            Some(n) => format!("{} ({n})", j.number),
            None => j.number.clone(),
        })
        .collect();
    format!("jobs are: {}", list.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{plan, BuildFacts};
    use serde_json::json;

    fn sample() -> BuildPlan {
        let cfg = json!({
            "language": "python",
            "os": ["linux"],
            "python": ["3.8", "3.9"],
            "stages": [{"name": "test"}, {"name": "deploy"}],
            "jobs": {"include": [{"stage": "deploy", "name": "Ship it", "script": ["true"]}]}
        });
        plan(&cfg, &BuildFacts::push("o/r", "master"))
    }

    #[test]
    fn by_number_position_name_stage() {
        let p = sample();
        assert_eq!(p.jobs.len(), 3);
        let n = |sels: &[&str], stage: Option<&str>| -> Vec<String> {
            let sels: Vec<String> = sels.iter().map(|s| s.to_string()).collect();
            select(&p, &sels, stage)
                .unwrap()
                .iter()
                .map(|j| j.number.clone())
                .collect()
        };
        assert_eq!(n(&["1.2"], None), vec!["1.2"]);
        assert_eq!(n(&["3"], None), vec!["1.3"]);
        assert_eq!(n(&["ship it"], None), vec!["1.3"]);
        assert_eq!(n(&[], Some("TEST")), vec!["1.1", "1.2"]);
        assert_eq!(n(&["3", "1"], None), vec!["1.1", "1.3"]);
        assert_eq!(n(&[], None).len(), 3);
    }

    #[test]
    fn errors_list_what_exists() {
        let p = sample();
        let e = select(&p, &["9".into()], None).unwrap_err();
        assert!(e.contains("1.3 (Ship it)"), "{e}");
        let e = select(&p, &[], Some("nope")).unwrap_err();
        assert!(e.contains("test, deploy"), "{e}");
        let e = select(&p, &["1".into()], Some("deploy")).unwrap_err();
        assert!(e.contains("matches no job"), "{e}");
    }
}
