//! `travis-local lint`: validate one or more `.travis.yml` files offline.
//!
//! One job: load each path (or stdin for `-`), print every finding in human (rustc-style)
//! or JSON form, and exit 0 (no error/alert), 1 (error/alert findings, invalid YAML
//! included) or 2 (usage or I/O problems, e.g. a missing file).

use std::io::{IsTerminal, Write};
use travis_local_config::diag::Level;
use travis_local_config::yaml::LineIndex;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(clap::Args, Debug)]
pub struct LintArgs {
    /// Files to lint (default: .travis.yml; `-` reads stdin)
    pub paths: Vec<String>,
    /// Output format
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Colour the human output (NO_COLOR is honoured with `auto`)
    #[arg(long, value_enum, default_value = "auto")]
    pub color: Color,
    /// Print only error and alert findings
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn main(args: &LintArgs) -> i32 {
    main_with(args, &|_, _| Vec::new())
}

/// Findings a caller adds for one loaded file (file name, its text), e.g. the binary's
/// ShellCheck pass (`lint --shellcheck`), which this crate may not run itself.
pub type ExtraFindings<'a> = dyn Fn(&str, &str) -> Vec<travis_local_config::diag::Diagnostic> + 'a;

/// `lint` with extra findings per file, rendered and counted like the others.
pub fn main_with(args: &LintArgs, extra: &ExtraFindings<'_>) -> i32 {
    let stdout = std::io::stdout();
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            std::env::var_os("NO_COLOR")
                .map(|v| v.is_empty())
                .unwrap_or(true)
                && stdout.is_terminal()
        }
    };
    let paths: Vec<String> = if args.paths.is_empty() {
        vec![".travis.yml".to_string()]
    } else {
        args.paths.clone()
    };
    let limits = match travis_local_config::Limits::from_env() {
        Ok(l) => l,
        Err(m) => {
            eprintln!("travis-local lint: {m}");
            return 2;
        }
    };
    let max = limits.max_config_bytes;
    let mut out = stdout.lock();
    let mut io_error = false;
    let mut failed = false;
    let mut json_items: Vec<serde_json::Value> = Vec::new();
    let (mut n_err, mut n_warn, mut n_info) = (0usize, 0usize, 0usize);
    for p in &paths {
        let Some(loaded) = load(p, max) else {
            io_error = true;
            continue;
        };
        let index = LineIndex::new(&loaded.text);
        let added = extra(p, &loaded.text);
        for d in loaded.diagnostics.iter().chain(&added) {
            if d.level.is_failure() {
                failed = true;
            }
            if args.quiet && !d.level.is_failure() {
                continue;
            }
            match d.level {
                Level::Error | Level::Alert => n_err += 1,
                Level::Warn => n_warn += 1,
                Level::Info => n_info += 1,
            }
            match args.format {
                Format::Json => json_items.push(
                    serde_json::to_value(d.to_json(&loaded.text, &index)).unwrap_or_default(),
                ),
                Format::Human => {
                    let _ = writeln!(out, "{}\n", d.render_human(&loaded.text, &index, color));
                }
            }
        }
    }
    match args.format {
        Format::Json => {
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&serde_json::Value::Array(json_items))
                    .unwrap_or_else(|_| "[]".into())
            );
        }
        Format::Human => {
            let files = paths.len();
            let _ = out.flush();
            eprintln!(
                "lint: {files} file{}, {n_err} error{}, {n_warn} warning{}, {n_info} info",
                if files == 1 { "" } else { "s" },
                if n_err == 1 { "" } else { "s" },
                if n_warn == 1 { "" } else { "s" },
            );
        }
    }
    if io_error {
        2
    } else if failed {
        1
    } else {
        0
    }
}

/// Read and lint one path (`-`: stdin); `None` after saying on stderr why it cannot be
/// read.
fn load(p: &str, max: u64) -> Option<travis_local_config::Loaded> {
    let loaded = if p == "-" {
        match travis_local_config::read_limited(std::io::stdin().lock(), max) {
            Ok(travis_local_config::Input::Bytes(buf)) => {
                travis_local_config::lint_bytes("<stdin>", &buf)
            }
            Ok(travis_local_config::Input::TooLarge(n)) => {
                travis_local_config::too_large("<stdin>", n, max)
            }
            Err(e) => {
                eprintln!("travis-local lint: cannot read stdin: {e}");
                return None;
            }
        }
    } else {
        let path = std::path::Path::new(p);
        if path.is_dir() {
            eprintln!("travis-local lint: {p}: is a directory (expected a .travis.yml file)");
            return None;
        }
        match travis_local_config::Input::read_path(path, max) {
            Ok(travis_local_config::Input::Bytes(bytes)) => {
                travis_local_config::lint_bytes(p, &bytes)
            }
            Ok(travis_local_config::Input::TooLarge(n)) => {
                travis_local_config::too_large(p, n, max)
            }
            Err(e) => {
                eprintln!("travis-local lint: cannot read {p}: {}", io_message(&e));
                return None;
            }
        }
    };
    Some(loaded)
}

fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}
