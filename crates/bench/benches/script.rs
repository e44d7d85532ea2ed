//! Throughput of the Masker (the runner passes every output byte through it) and the
//! cost of compiling a job.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use serde_json::json;
use std::hint::black_box;
use travis_local_matrix::{BuildFacts, Job};
use travis_local_script::secrets::SettingsVar;
use travis_local_script::{compile, CompileOptions, Masker, Secret, Secrets};

fn log_text(len: usize) -> Vec<u8> {
    let line = b"Collecting flask==2.3.2 (from -r requirements.txt (line 1))  Downloading Flask-2.3.2-py3-none-any.whl (96 kB)\n";
    let mut out = Vec::with_capacity(len + line.len());
    let mut i = 0;
    while out.len() < len {
        out.extend_from_slice(line);
        if i % 50 == 0 {
            out.extend_from_slice(
                b"AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
            );
        }
        i += 1;
    }
    out
}

fn bench_masker(c: &mut Criterion) {
    let data = log_text(4 << 20);
    let mut group = c.benchmark_group("masker");
    group.throughput(Throughput::Bytes(data.len() as u64));
    for n in [1usize, 10] {
        let values: Vec<String> = (0..n)
            .map(|i| {
                if i == 0 {
                    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_string()
                } else {
                    format!("secret-value-{i:04}-xyz")
                }
            })
            .collect();
        group.bench_with_input(BenchmarkId::new("secrets", n), &values, |b, values| {
            b.iter(|| {
                let mut m = Masker::new(values);
                let mut total = 0;
                for chunk in data.chunks(8192) {
                    total += m.push(black_box(chunk)).len();
                }
                total += m.finish().len();
                total
            })
        });
    }
    group.finish();
}

fn bench_compile(c: &mut Criterion) {
    let job = Job {
        number: "1.1".into(),
        stage: "test".into(),
        name: None,
        allow_failure: false,
        config: json!({
            "language": "python", "python": "3.11",
            "env": [{"A": "1"}, {"B": "${A}2"}],
            "install": ["pip install -r requirements.txt"],
            "script": ["pytest", "flake8"],
            "deploy": [{"provider": "script", "script": "./deploy.sh", "on": {"branch": "master"}}]
        }),
    };
    let facts = BuildFacts::push("o/r", "master");
    let secrets = Secrets {
        settings: vec![SettingsVar {
            name: "TOKEN".into(),
            value: Secret::new("s3cr3t-value"),
            branch: None,
            public: false,
            origin: "b".into(),
        }],
        ..Default::default()
    };
    let opts = CompileOptions::default();
    c.bench_function("compile/python_job", |b| {
        b.iter(|| {
            compile(black_box(&job), &facts, &secrets, &opts)
                .script
                .len()
        })
    });
}

criterion_group!(benches, bench_masker, bench_compile);
criterion_main!(benches);
