//! `run --junit PATH`: the build's results as a JUnit XML report, for wrapping a
//! travis-local run in another CI.
//!
//! Shape (the Ant/Surefire/Jenkins dialect that JUnit consumers read):
//! `<testsuites>` for the build, one `<testsuite>` per build stage (in stage order), one
//! `<testcase>` per job (`name` = job number and name, `classname` =
//! `travis-local.<stage>`). A failed job has a `<failure>`, an errored one an `<error>`,
//! each holding the masked tail of its log; the tail is in `<system-out>` for every job.
//! A job allowed to fail that did not pass is `<skipped>` with the reason (Travis does
//! not fail the build for it, so neither should the consumer), and every allowed-failure
//! job's name ends in "(allowed to fail)". A canceled job (fast_finish, Ctrl-C) is
//! `<skipped>`. Text comes only from [`JobOutcome`]s, whose log tails are masked at the
//! job's sink, so no secret value can reach the report; characters XML 1.0 cannot hold
//! (ANSI escapes, other control characters) are dropped.

use crate::orchestrate::{JobOutcome, JobResult};
use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Writes the report for `outcomes` (grouped by `stages`, in that order) to `path`.
pub fn write(path: &Path, stages: &[String], outcomes: &[JobOutcome]) -> Result<(), String> {
    let xml = render(stages, outcomes, SystemTime::now());
    std::fs::write(path, xml).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[derive(Default)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
    time: Duration,
}

impl Counts {
    fn add(&mut self, o: &JobOutcome) {
        self.tests += 1;
        match verdict(o) {
            Verdict::Failure => self.failures += 1,
            Verdict::Error => self.errors += 1,
            Verdict::Skipped(_) => self.skipped += 1,
            Verdict::Passed => {}
        }
        self.time += o.duration.unwrap_or_default();
    }
    fn attrs(&self) -> String {
        format!(
            "tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\"",
            self.tests,
            self.failures,
            self.errors,
            self.skipped,
            self.time.as_secs_f64()
        )
    }
}

enum Verdict {
    Passed,
    Failure,
    Error,
    Skipped(String),
}

fn verdict(o: &JobOutcome) -> Verdict {
    let how = || match (o.exit_code, &o.reason) {
        (_, Some(r)) => r.clone(),
        (Some(c), None) => format!("exit {c}"),
        (None, None) => o.result.as_str().to_string(),
    };
    match o.result {
        JobResult::Passed => Verdict::Passed,
        JobResult::Canceled => Verdict::Skipped(format!("canceled: {}", how())),
        r if o.allow_failure => Verdict::Skipped(format!(
            "allowed to fail: the job {} ({})",
            r.as_str(),
            how()
        )),
        JobResult::Failed => Verdict::Failure,
        JobResult::Errored => Verdict::Error,
    }
}

/// The report as text (`now` is the report's timestamp).
pub fn render(stages: &[String], outcomes: &[JobOutcome], now: SystemTime) -> String {
    let stamp = timestamp(now);
    let host = hostname();
    let mut order: Vec<&str> = stages.iter().map(String::as_str).collect();
    for o in outcomes {
        if !order.contains(&o.stage.as_str()) {
            order.push(&o.stage);
        }
    }
    let mut total = Counts::default();
    let mut suites = String::new();
    for (id, stage) in order.iter().enumerate() {
        let jobs: Vec<&JobOutcome> = outcomes.iter().filter(|o| o.stage == *stage).collect();
        if jobs.is_empty() {
            continue;
        }
        let mut counts = Counts::default();
        let mut cases = String::new();
        for o in &jobs {
            counts.add(o);
            total.add(o);
            cases.push_str(&testcase(o, stage));
        }
        let name = if stage.is_empty() { "build" } else { stage };
        let _ = write!(
            suites,
            "  <testsuite id=\"{id}\" name=\"{}\" package=\"travis-local\" hostname=\"{}\" timestamp=\"{stamp}\" {}>\n{cases}  </testsuite>\n",
            esc(name),
            esc(&host),
            counts.attrs()
        );
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"travis-local\" {}>\n{suites}</testsuites>\n",
        total.attrs()
    )
}

fn testcase(o: &JobOutcome, stage: &str) -> String {
    let mut name = format!("Job {}", o.job);
    if let Some(n) = &o.name {
        name.push_str(&format!(" · {n}"));
    }
    if o.allow_failure {
        name.push_str(" (allowed to fail)");
    }
    let class = if stage.is_empty() {
        "travis-local.build".to_string()
    } else {
        format!("travis-local.{stage}")
    };
    let time = o.duration.unwrap_or_default().as_secs_f64();
    let log = esc(&readable(&o.log_tail));
    let mut body = String::new();
    let detail = |kind: &str| match (o.exit_code, &o.reason) {
        (_, Some(r)) => format!("the job {kind}: {r}"),
        (Some(c), None) => format!("the job {kind} (exit {c})"),
        (None, None) => format!("the job {kind}"),
    };
    match verdict(o) {
        Verdict::Passed => {}
        Verdict::Failure => {
            let _ = writeln!(
                body,
                "      <failure type=\"failed\" message=\"{}\">{log}</failure>",
                esc(&detail("failed"))
            );
        }
        Verdict::Error => {
            let _ = writeln!(
                body,
                "      <error type=\"errored\" message=\"{}\">{log}</error>",
                esc(&detail("errored"))
            );
        }
        Verdict::Skipped(why) => {
            let _ = writeln!(body, "      <skipped message=\"{}\"/>", esc(&why));
        }
    }
    if !o.log_tail.is_empty() {
        let _ = writeln!(body, "      <system-out>{log}</system-out>");
    }
    format!(
        "    <testcase name=\"{}\" classname=\"{}\" time=\"{time:.3}\">\n{body}    </testcase>\n",
        esc(&name),
        esc(&class)
    )
}

/// The log as a person reads it: Travis's fold and timing markers (each ends in `\r`)
/// are dropped, so each line holds what it shows on a terminal.
fn readable(log: &str) -> String {
    let mut out = String::with_capacity(log.len());
    for line in log.split_inclusive('\n') {
        let (body, nl) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        for part in body.split('\r') {
            let shown = part.strip_prefix("\x1b[0K").unwrap_or(part);
            if !(shown.starts_with("travis_fold:") || shown.starts_with("travis_time:")) {
                out.push_str(shown);
            }
        }
        out.push_str(nl);
    }
    out
}

/// XML-escape text for an attribute or element, dropping ANSI escape sequences and the
/// characters XML 1.0 cannot hold.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => {
                // CSI sequence: ESC [ params final-byte (0x40..=0x7e)
                if chars.peek() == Some(&'[') {
                    chars.next();
                    for n in chars.by_ref() {
                        if ('\x40'..='\x7e').contains(&n) {
                            break;
                        }
                    }
                }
            }
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' => out.push(c),
            '\r' => {}
            c if (c as u32) < 0x20 || matches!(c, '\u{fffe}' | '\u{ffff}') => {}
            c => out.push(c),
        }
    }
    out
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// `2026-12-05T08:03:21` (UTC), the form JUnit schemas accept.
fn timestamp(now: SystemTime) -> String {
    let secs = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(n: &str, stage: &str, result: JobResult, allow: bool, tail: &str) -> JobOutcome {
        JobOutcome {
            job: n.into(),
            stage: stage.into(),
            name: None,
            allow_failure: allow,
            result,
            exit_code: Some(if result == JobResult::Passed { 0 } else { 1 }),
            duration: Some(Duration::from_millis(1500)),
            duration_ms: Some(1500),
            reason: None,
            log_tail: tail.into(),
        }
    }

    #[test]
    fn timestamps_are_utc_civil_dates() {
        let t = UNIX_EPOCH + Duration::from_secs(1_796_461_401);
        assert_eq!(timestamp(t), "2026-12-05T09:03:21");
        assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01T00:00:00");
        assert_eq!(
            timestamp(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00"
        );
    }

    #[test]
    fn escapes_markup_and_drops_what_xml_cannot_hold() {
        assert_eq!(
            esc("a<b & \"c\" \x1b[31mred\x1b[0m\x07\r\n"),
            "a&lt;b &amp; &quot;c&quot; red\n"
        );
    }

    #[test]
    fn fold_and_time_markers_are_dropped() {
        let log = "travis_fold:start:install\r\x1b[0Kx\n0 errors\ntravis_time:start:ab\r\x1b[0K$ false\ntravis_time:end:ab:start=1\r\x1b[0KThe command \"false\" exited with 1.\ntravis_fold:end:install\r\x1b[0K\n";
        assert_eq!(
            readable(log),
            "x\n0 errors\n$ false\nThe command \"false\" exited with 1.\n\n"
        );
    }

    #[test]
    fn groups_by_stage_and_counts() {
        let xml = render(
            &["test".into(), "deploy".into()],
            &[
                job("1.1", "test", JobResult::Passed, false, "ok\n"),
                job("1.2", "test", JobResult::Failed, false, "boom <x>\n"),
                job("1.3", "test", JobResult::Errored, true, ""),
                job("2.1", "deploy", JobResult::Errored, false, "e\n"),
            ],
            UNIX_EPOCH,
        );
        assert!(xml.contains("<testsuites name=\"travis-local\" tests=\"4\" failures=\"1\" errors=\"1\" skipped=\"1\" time=\"6.000\">"), "{xml}");
        assert!(xml.find("name=\"test\"") < xml.find("name=\"deploy\""));
        assert!(xml.contains("<failure type=\"failed\" message=\"the job failed (exit 1)\">boom &lt;x&gt;\n</failure>"), "{xml}");
        assert!(
            xml.contains("Job 1.3 (allowed to fail)")
                && xml.contains("<skipped message=\"allowed to fail: the job errored (exit 1)\"/>"),
            "{xml}"
        );
    }
}
