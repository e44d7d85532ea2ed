//! Turning a job's (already masked) output bytes into what the user sees.
//!
//! [`LogParser`] splits the byte stream into lines and interprets Travis's log markers
//! (`travis_fold:start:NAME\r\e[0K`, `travis_time:end:ID:...duration=NS...\r\e[0K`),
//! which are never printed raw. [`Printer`] renders the resulting [`LogEvent`]s for one
//! job: human (optionally collapsing folds that closed, i.e. succeeded, to one line
//! with their duration, and prefixing lines with the job number when jobs run in
//! parallel) or JSON lines. Everything written goes through one shared [`Output`]
//! so lines of parallel jobs never interleave mid-line.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One interpreted piece of a job log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogEvent {
    /// A line of output (without the newline, markers removed).
    Line(String),
    FoldStart(String),
    FoldEnd(String),
    /// End of a timed command; `duration` as measured inside the job.
    TimeEnd(Duration),
}

/// Incremental marker-aware line splitter.
///
/// A line ends at `\n`; text that ends in a bare `\r` (a status line a terminal would
/// overwrite, like `travis_wait`'s `Still running (1 of 20): …\r`) is shown at once as
/// a line of its own instead of waiting for the next newline.
#[derive(Debug, Default)]
pub struct LogParser {
    pending: Vec<u8>,
    /// How much of `pending` is known to hold no `\n` (so a long line arriving in many
    /// pieces is scanned once, not once per piece).
    scanned: usize,
    /// The last push ended in a `\r` that was shown as a line end: a `\n` right after
    /// it belongs to the same `\r\n`.
    after_cr: bool,
}

impl LogParser {
    pub fn push(&mut self, mut bytes: &[u8]) -> Vec<LogEvent> {
        if self.after_cr && !bytes.is_empty() {
            self.after_cr = false;
            if bytes[0] == b'\n' {
                bytes = &bytes[1..];
            }
        }
        self.pending.extend_from_slice(bytes);
        let mut events = Vec::new();
        // Every complete line, then one drain of what they used (draining line by line
        // would move the rest of the buffer once per line).
        let mut start = 0;
        let mut from = self.scanned.min(self.pending.len());
        while let Some(off) = self.pending[from..].iter().position(|&b| b == b'\n') {
            let pos = from + off;
            parse_line(&self.pending[start..pos], true, &mut events);
            start = pos + 1;
            from = start;
        }
        self.pending.drain(..start);
        self.scanned = self.pending.len();
        if self.pending.last() == Some(&b'\r') && find_marker(&self.pending, 0).is_none() {
            let mut line = std::mem::take(&mut self.pending);
            line.pop();
            parse_line(&line, true, &mut events);
            self.after_cr = true;
            self.scanned = 0;
        }
        events
    }

    /// Flushes a final line that had no newline.
    pub fn finish(&mut self) -> Vec<LogEvent> {
        let mut events = Vec::new();
        if !self.pending.is_empty() {
            self.scanned = 0;
            let line = std::mem::take(&mut self.pending);
            parse_line(&line, false, &mut events);
        }
        events
    }
}

const MARKERS: [&[u8]; 2] = [b"travis_fold:", b"travis_time:"];

fn find_marker(line: &[u8], from: usize) -> Option<usize> {
    (from..line.len()).find(|&i| MARKERS.iter().any(|m| line[i..].starts_with(m)))
}

fn parse_line(line: &[u8], had_newline: bool, events: &mut Vec<LogEvent>) {
    let mut text: Vec<u8> = Vec::new();
    let mut had_marker = false;
    let mut i = 0;
    while i < line.len() {
        let Some(start) = find_marker(line, i) else {
            text.extend_from_slice(&line[i..]);
            break;
        };
        // A marker runs up to the next `\r` (then an optional `\e[0K`).
        let Some(cr) = line[start..]
            .iter()
            .position(|&b| b == b'\r')
            .map(|p| start + p)
        else {
            text.extend_from_slice(&line[i..]);
            break;
        };
        text.extend_from_slice(&line[i..start]);
        if !text.is_empty() {
            // Text before a marker on the same line is a line of its own.
            push_text(&mut text, events);
        }
        let marker = String::from_utf8_lossy(&line[start..cr]).into_owned();
        interpret_marker(&marker, events);
        had_marker = true;
        i = cr + 1;
        if line[i..].starts_with(b"\x1b[0K") {
            i += 4;
        } else if line[i..].starts_with(b"\x1b[K") {
            i += 3;
        }
    }
    if !text.is_empty() || (had_newline && !had_marker) {
        push_text(&mut text, events);
    }
}

fn push_text(text: &mut Vec<u8>, events: &mut Vec<LogEvent>) {
    // `\r\n` line ends (CRLF output, a TTY's onlcr) end the line like `\n`.
    if text.last() == Some(&b'\r') {
        text.pop();
    }
    let s = String::from_utf8_lossy(text).into_owned();
    text.clear();
    events.push(LogEvent::Line(s));
}

fn interpret_marker(marker: &str, events: &mut Vec<LogEvent>) {
    if let Some(rest) = marker.strip_prefix("travis_fold:start:") {
        events.push(LogEvent::FoldStart(rest.to_string()));
    } else if let Some(rest) = marker.strip_prefix("travis_fold:end:") {
        events.push(LogEvent::FoldEnd(rest.to_string()));
    } else if let Some(rest) = marker.strip_prefix("travis_time:end:") {
        let ns = rest
            .split(',')
            .find_map(|kv| kv.split_once('=').filter(|(k, _)| k.ends_with("duration")))
            .and_then(|(_, v)| v.trim().parse::<u64>().ok());
        if let Some(ns) = ns {
            events.push(LogEvent::TimeEnd(Duration::from_nanos(ns)));
        }
    }
    // travis_time:start and unknown markers carry nothing to show.
}

/// Removes ANSI escape sequences (colours, clear-line) from a line.
pub fn strip_ansi(s: &str) -> String {
    if !s.contains('\x1b') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            match chars.peek() {
                Some('[') => {
                    chars.next();
                    for c2 in chars.by_ref() {
                        if ('@'..='~').contains(&c2) {
                            break;
                        }
                    }
                }
                Some(_) => {
                    chars.next();
                }
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The process-wide output (stdout in the binary, a buffer in tests).
#[derive(Clone)]
pub struct Output(Arc<Mutex<Box<dyn Write + Send>>>);

impl Output {
    pub fn new(w: Box<dyn Write + Send>) -> Self {
        Self(Arc::new(Mutex::new(w)))
    }
    pub fn stdout() -> Self {
        Self::new(Box::new(std::io::stdout()))
    }
    /// Writes whole lines atomically with respect to other jobs.
    pub fn lines(&self, lines: &[String]) {
        let mut w = match self.0.lock() {
            Ok(w) => w,
            Err(p) => p.into_inner(),
        };
        // One write per batch: stdout is line-buffered, so per-line writes would cost a
        // system call per line.
        let mut buf = String::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
        for l in lines {
            buf.push_str(l);
            buf.push('\n');
        }
        let _ = w.write_all(buf.as_bytes());
        let _ = w.flush();
    }
    /// Writes text without a newline (a transient status on a terminal).
    pub fn raw(&self, text: &str) {
        let mut w = match self.0.lock() {
            Ok(w) => w,
            Err(p) => p.into_inner(),
        };
        let _ = w.write_all(text.as_bytes());
        let _ = w.flush();
    }
    pub fn line(&self, line: impl Into<String>) {
        self.lines(&[line.into()]);
    }
}

/// How a job's output is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub json: bool,
    /// Collapse folds that closed (TTY without --verbose).
    pub collapse: bool,
    /// Keep ANSI colours (TTY and no NO_COLOR).
    pub color: bool,
    /// Prefix every line with `[job] ` (parallel runs).
    pub prefix: bool,
}

/// `{"event":"output","job":..,"line":..}` without building a `Value` per line.
#[derive(serde::Serialize)]
struct OutputEvent<'a> {
    event: &'static str,
    job: &'a str,
    line: &'a str,
}

/// Renders one job's events.
pub struct Printer {
    job: String,
    style: Style,
    out: Output,
    /// Open fold (collapse mode): name, buffered lines, measured duration.
    fold: Option<(String, Vec<String>, Duration)>,
}

impl Printer {
    pub fn new(job: &str, style: Style, out: Output) -> Self {
        Self {
            job: job.to_string(),
            style,
            out,
            fold: None,
        }
    }

    fn human_line(&self, text: &str) -> String {
        let text = if self.style.color {
            text.to_string()
        } else {
            strip_ansi(text)
        };
        if self.style.prefix {
            format!("[{}] {}", self.job, text)
        } else {
            text
        }
    }

    pub fn events(&mut self, events: Vec<LogEvent>) {
        let mut lines = Vec::new();
        for ev in events {
            if self.style.json {
                let v = match ev {
                    LogEvent::Line(text) => {
                        let line = strip_ansi(&text);
                        let ev = OutputEvent {
                            event: "output",
                            job: &self.job,
                            line: &line,
                        };
                        lines.push(serde_json::to_string(&ev).unwrap_or_default());
                        continue;
                    }
                    LogEvent::FoldStart(name) => serde_json::json!({
                        "event": "fold_start", "job": self.job, "name": name
                    }),
                    LogEvent::FoldEnd(name) => serde_json::json!({
                        "event": "fold_end", "job": self.job, "name": name
                    }),
                    LogEvent::TimeEnd(_) => continue,
                };
                lines.push(v.to_string());
                continue;
            }
            match ev {
                LogEvent::Line(text) => {
                    let l = self.human_line(&text);
                    match &mut self.fold {
                        Some((_, buf, _)) => buf.push(l),
                        None => lines.push(l),
                    }
                }
                LogEvent::FoldStart(name) if self.style.collapse => {
                    if let Some((open, buf, _)) = self.fold.take() {
                        lines.push(self.open_fold_header(&open));
                        lines.extend(buf);
                    }
                    if self.transient() {
                        // Flush what precedes, then show the running fold until it ends.
                        if !lines.is_empty() {
                            self.out.lines(&std::mem::take(&mut lines));
                        }
                        self.out.raw(&format!("\u{25b8} {name} \u{2026}"));
                    }
                    self.fold = Some((name, Vec::new(), Duration::ZERO));
                }
                LogEvent::TimeEnd(d) => {
                    if let Some((_, _, dur)) = &mut self.fold {
                        *dur += d;
                    }
                }
                LogEvent::FoldEnd(name) if self.style.collapse => {
                    if let Some((open, buf, dur)) = self.fold.take() {
                        if open == name {
                            let summary = format!(
                                "{}\u{25b8} {} ({})",
                                if self.style.color { "\x1b[32m" } else { "" },
                                name,
                                crate::duration::short(dur)
                            );
                            let mut l = self.human_line(&summary);
                            if self.style.color {
                                l.push_str("\x1b[0m");
                            }
                            if self.transient() {
                                l.insert_str(0, "\r\x1b[2K");
                            }
                            lines.push(l);
                        } else {
                            lines.push(self.open_fold_header(&open));
                            lines.extend(buf);
                        }
                    }
                }
                LogEvent::FoldStart(_) | LogEvent::FoldEnd(_) => {}
            }
        }
        if !lines.is_empty() {
            self.out.lines(&lines);
        }
    }

    /// A running fold is shown as a status line that its result line overwrites (only
    /// on a terminal with one job at a time, where nothing else can print in between).
    fn transient(&self) -> bool {
        self.style.collapse && self.style.color && !self.style.prefix
    }

    /// Heading of a fold shown expanded because it did not succeed.
    fn open_fold_header(&self, name: &str) -> String {
        let text = if self.style.color {
            format!("\x1b[31m\u{25be} {name}\x1b[0m")
        } else {
            format!("\u{25be} {name}")
        };
        let mut l = self.human_line(&text);
        if self.transient() {
            l.insert_str(0, "\r\x1b[2K");
        }
        l
    }

    /// A line from travis-local itself (already masked).
    pub fn note(&mut self, text: &str) {
        self.events(vec![LogEvent::Line(text.to_string())]);
    }

    /// End of the job: a fold still open did not succeed, so it is shown expanded.
    pub fn finish(&mut self) {
        if let Some((name, buf, _)) = self.fold.take() {
            let mut lines = vec![self.open_fold_header(&name)];
            lines.extend(buf);
            self.out.lines(&lines);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(chunks: &[&[u8]]) -> Vec<LogEvent> {
        let mut p = LogParser::default();
        let mut ev = Vec::new();
        for c in chunks {
            ev.extend(p.push(c));
        }
        ev.extend(p.finish());
        ev
    }

    #[test]
    fn markers_are_interpreted_not_printed() {
        let ev = parse_all(&[
            b"travis_fold:start:install\r\x1b[0Ktravis_time:start:0a1b2c3d\r\x1b[0K$ make\n",
            b"ok\ntravis_time:end:0a1b2c3d:start=1,finish=2000000001,duration=2000000000,event=install\r\x1b[0K",
            b"travis_fold:end:install\r\x1b[0K",
            b"The command \"x\" exited with 0.\n",
        ]);
        assert_eq!(
            ev,
            vec![
                LogEvent::FoldStart("install".into()),
                LogEvent::Line("$ make".into()),
                LogEvent::Line("ok".into()),
                LogEvent::TimeEnd(Duration::from_secs(2)),
                LogEvent::FoldEnd("install".into()),
                LogEvent::Line("The command \"x\" exited with 0.".into()),
            ]
        );
    }

    #[test]
    fn split_markers_and_blank_lines() {
        let ev = parse_all(&[b"a\n\ntravis_fo", b"ld:start:x\r\x1b[0K", b"\nb"]);
        assert_eq!(
            ev,
            vec![
                LogEvent::Line("a".into()),
                LogEvent::Line("".into()),
                LogEvent::FoldStart("x".into()),
                LogEvent::Line("b".into()),
            ]
        );
    }

    #[test]
    fn text_mentioning_marker_without_cr_is_kept() {
        let ev = parse_all(&[b"grep travis_fold: file\n"]);
        assert_eq!(ev, vec![LogEvent::Line("grep travis_fold: file".into())]);
    }

    #[test]
    fn status_lines_ending_in_cr_are_shown_at_once() {
        let mut p = LogParser::default();
        assert_eq!(
            p.push(b"Still running (1 of 20): sleep 9\r"),
            vec![LogEvent::Line("Still running (1 of 20): sleep 9".into())]
        );
        assert_eq!(p.push(b"\nnext\r\n"), vec![LogEvent::Line("next".into())]);
        // a marker's own \r is not a status line
        assert_eq!(p.push(b"travis_fold:start:x\r"), vec![]);
        assert_eq!(
            p.push(b"\x1b[0Ky\n"),
            vec![LogEvent::FoldStart("x".into()), LogEvent::Line("y".into())]
        );
    }

    #[test]
    fn strips_ansi() {
        assert_eq!(strip_ansi("\x1b[31;1mred\x1b[0m plain"), "red plain");
    }

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn collapse_mode_folds_successes_and_expands_failures() {
        let buf = Buf::default();
        let out = Output::new(Box::new(buf.clone()));
        let style = Style {
            json: false,
            collapse: true,
            color: false,
            prefix: true,
        };
        let mut p = Printer::new("1.1", style, out);
        p.events(vec![
            LogEvent::FoldStart("install".into()),
            LogEvent::Line("$ ok".into()),
            LogEvent::TimeEnd(Duration::from_millis(1500)),
            LogEvent::FoldEnd("install".into()),
            LogEvent::FoldStart("before_script".into()),
            LogEvent::Line("$ false".into()),
        ]);
        p.finish();
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        assert_eq!(
            text,
            "[1.1] \u{25b8} install (1.50s)\n[1.1] \u{25be} before_script\n[1.1] $ false\n"
        );
    }
}
