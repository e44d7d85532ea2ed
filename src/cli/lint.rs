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
    let mut out = stdout.lock();
    let mut io_error = false;
    let mut tally = Tally::default();
    for p in &paths {
        let loaded = match load(p, limits.max_config_bytes) {
            Ok(loaded) => loaded,
            Err(message) => {
                eprintln!("travis-local lint: {message}");
                io_error = true;
                continue;
            }
        };
        let index = LineIndex::new(&loaded.text);
        let added = extra(p, &loaded.text);
        for d in loaded.diagnostics.iter().chain(&added) {
            if !tally.count(d, args.quiet) {
                continue;
            }
            match args.format {
                Format::Json => tally.json_items.push(
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
                serde_json::to_string_pretty(&serde_json::Value::Array(tally.json_items))
                    .unwrap_or_else(|_| "[]".into())
            );
        }
        Format::Human => {
            let _ = out.flush();
            eprintln!("{}", tally.summary(paths.len()));
        }
    }
    if io_error {
        2
    } else if tally.failed {
        1
    } else {
        0
    }
}

/// What `lint` found so far: counts per level, whether any finding fails the run, and
/// the JSON findings to print at the end.
#[derive(Default)]
struct Tally {
    failed: bool,
    errors: usize,
    warnings: usize,
    infos: usize,
    json_items: Vec<serde_json::Value>,
}

impl Tally {
    /// Count a finding; false when `--quiet` leaves it out (not an error or alert).
    fn count(&mut self, d: &travis_local_config::diag::Diagnostic, quiet: bool) -> bool {
        if d.level.is_failure() {
            self.failed = true;
        }
        if quiet && !d.level.is_failure() {
            return false;
        }
        match d.level {
            Level::Error | Level::Alert => self.errors += 1,
            Level::Warn => self.warnings += 1,
            Level::Info => self.infos += 1,
        }
        true
    }

    /// The one-line summary printed to stderr after human output.
    fn summary(&self, files: usize) -> String {
        let (n_err, n_warn, n_info) = (self.errors, self.warnings, self.infos);
        format!(
            "lint: {files} file{}, {n_err} error{}, {n_warn} warning{}, {n_info} info",
            if files == 1 { "" } else { "s" },
            if n_err == 1 { "" } else { "s" },
            if n_warn == 1 { "" } else { "s" },
        )
    }
}

/// Read and lint one path (`-` is stdin) within the size limit `max`; Err is the
/// message for stderr (the file cannot be read, or is a directory).
fn load(p: &str, max: u64) -> Result<travis_local_config::Loaded, String> {
    use travis_local_config::Input;
    if p == "-" {
        return match travis_local_config::read_limited(std::io::stdin().lock(), max) {
            Ok(Input::Bytes(buf)) => Ok(travis_local_config::lint_bytes("<stdin>", &buf)),
            Ok(Input::TooLarge(n)) => Ok(travis_local_config::too_large("<stdin>", n, max)),
            Err(e) => Err(format!("cannot read stdin: {e}")),
        };
    }
    let path = std::path::Path::new(p);
    if path.is_dir() {
        return Err(format!("{p}: is a directory (expected a .travis.yml file)"));
    }
    match Input::read_path(path, max) {
        Ok(Input::Bytes(bytes)) => Ok(travis_local_config::lint_bytes(p, &bytes)),
        Ok(Input::TooLarge(n)) => Ok(travis_local_config::too_large(p, n, max)),
        Err(e) => Err(format!("cannot read {p}: {}", io_message(&e))),
    }
}

fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}
