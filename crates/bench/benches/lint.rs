//! Lint every corpus file vs. only parsing the same files with saphyr-parser (events).
//! Run: CARGO_TARGET_DIR=... cargo bench -p travis-local-bench --bench lint

use criterion::{criterion_group, criterion_main, Criterion};
use std::path::PathBuf;

fn corpus() -> Vec<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/travis");
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&dir) {
        let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            if p.to_string_lossy().ends_with(".travis.yml") {
                if let Ok(b) = std::fs::read(&p) {
                    out.push(String::from_utf8_lossy(&b).into_owned());
                }
            }
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let files = corpus();
    if files.is_empty() {
        eprintln!("notice: ../shared/corpus/travis not found, nothing to bench");
        return;
    }
    let mut g = c.benchmark_group("corpus");
    g.bench_function("parse_only_saphyr_events", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for f in &files {
                let mut p = saphyr_parser::Parser::new_from_str(f);
                while let Some(Ok(_)) = p.next_event() {
                    n += 1;
                }
            }
            n
        })
    });
    g.bench_function("yaml_tree_only", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for f in &files {
                n += travis_local_config::yaml::load(f)
                    .map(|d| d.duplicates.len())
                    .unwrap_or(0);
            }
            n
        })
    });
    g.bench_function("lint", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for f in &files {
                n += travis_local_config::lint_str(".travis.yml", f)
                    .diagnostics
                    .len();
            }
            n
        })
    });
    g.bench_function("load_str_with_span_table", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for f in &files {
                n += travis_local_config::load_str(".travis.yml", f)
                    .diagnostics
                    .len();
            }
            n
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
