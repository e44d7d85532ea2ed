//! Criterion bench: conditions parsed and evaluated per second (a mix of real-world
//! shapes from the spec fixtures).
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use travis_local_condition::{eval, parse, Facts};

const CONDITIONS: &[&str] = &[
    "branch = master",
    "type = push AND branch IN (master, develop, release)",
    "branch = master AND type IN (push, api) AND NOT env(SKIP) IS present",
    "tag =~ ^v[0-9]+\\.[0-9]+\\.[0-9]+$ OR (branch = master AND type != pull_request)",
    "NOT commit_message =~ /\\[skip (deploy|docs)\\]/ AND repo = owner/name",
    "env(TARGET) = linux AND (os = linux OR os = osx) AND fork = false",
    "branch =~ ^((?!wip).)*$ AND sender != dependabot",
    "type = cron OR env(FORCE) IS true",
];

fn facts() -> Facts {
    Facts {
        branch: Some("master".into()),
        tag: None,
        event_type: Some("push".into()),
        repo: Some("owner/name".into()),
        os: Some("linux".into()),
        fork: Some(false),
        sender: Some("alice".into()),
        commit_message: Some("Fix the build\n\nwith details".into()),
        env: vec![
            ("TARGET".into(), "linux".into()),
            ("FORCE".into(), "false".into()),
        ],
        ..Default::default()
    }
}

fn bench(c: &mut Criterion) {
    let facts = facts();
    let mut group = c.benchmark_group("condition");
    group.throughput(Throughput::Elements(CONDITIONS.len() as u64));
    group.bench_function("parse+eval", |b| {
        b.iter(|| {
            for src in CONDITIONS {
                let expr = parse(black_box(src)).expect("parses");
                black_box(eval(&expr, &facts).expect("evaluates"));
            }
        })
    });
    group.bench_function("parse", |b| {
        b.iter(|| {
            for src in CONDITIONS {
                black_box(parse(black_box(src)).expect("parses"));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
