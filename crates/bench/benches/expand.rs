//! Expands every config of the corpus (the normalised `config` of `expected/*.json`) for a
//! push and a pull request, and reports throughput in jobs per second.
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::Value;
use std::path::PathBuf;
use travis_local_matrix::{plan, BuildFacts};

fn configs() -> Vec<(Value, String)> {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/travis/expected");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        println!(
            "NOTICE: corpus not found at {}, nothing to bench",
            dir.display()
        );
        return vec![];
    };
    let mut out = Vec::new();
    for e in rd.flatten() {
        let Ok(text) = std::fs::read_to_string(e.path()) else {
            continue;
        };
        let Ok(v) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        let slug = v
            .get("slug")
            .and_then(Value::as_str)
            .unwrap_or("o/r")
            .to_string();
        out.push((v.get("config").cloned().unwrap_or(Value::Null), slug));
    }
    out
}

fn bench(c: &mut Criterion) {
    let configs = configs();
    if configs.is_empty() {
        return;
    }
    let push: Vec<BuildFacts> = configs
        .iter()
        .map(|(_, s)| BuildFacts::push(s, "master"))
        .collect();
    let pr: Vec<BuildFacts> = configs
        .iter()
        .map(|(_, s)| BuildFacts::pull_request(s, "master", 1))
        .collect();
    let jobs: usize = configs
        .iter()
        .zip(push.iter().zip(&pr))
        .map(|((c, _), (p, q))| plan(c, p).jobs.len() + plan(c, q).jobs.len())
        .sum();
    println!(
        "corpus: {} configs, {jobs} jobs per iteration (push + pull request)",
        configs.len()
    );
    let mut g = c.benchmark_group("corpus");
    g.throughput(Throughput::Elements(jobs as u64));
    g.bench_function("plan_push_and_pr", |b| {
        b.iter(|| {
            let mut n = 0;
            for ((cfg, _), (p, q)) in configs.iter().zip(push.iter().zip(&pr)) {
                n += plan(cfg, p).jobs.len();
                n += plan(cfg, q).jobs.len();
            }
            n
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
