//! The sink of one job's output: masking, Travis markers, rendering, the tail kept for
//! reports and the time of the last output.

use crate::executor::OutputSink;
use crate::render::{LogEvent, LogParser, Printer};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use travis_local_script::Masker;

/// The sink of one job: masks, interprets markers, renders, and notes the time of the
/// last output (for the silence timeout).
pub struct JobSink {
    state: Mutex<SinkState>,
    last_output: Mutex<Instant>,
}

struct SinkState {
    masker: Masker,
    parser: LogParser,
    printer: Printer,
    /// The last [`TAIL_BYTES`] of masked output.
    tail: std::collections::VecDeque<u8>,
}

/// How much of a job's masked log [`JobSink::tail`] keeps.
pub const TAIL_BYTES: usize = 16 * 1024;

impl SinkState {
    fn keep(&mut self, masked: &[u8]) {
        let skip = masked.len().saturating_sub(TAIL_BYTES);
        self.tail.extend(&masked[skip..]);
        let over = self.tail.len().saturating_sub(TAIL_BYTES);
        self.tail.drain(..over);
    }
}

impl JobSink {
    pub fn new(mask: &[String], printer: Printer) -> Self {
        JobSink {
            state: Mutex::new(SinkState {
                masker: Masker::new(mask),
                parser: LogParser::default(),
                printer,
                tail: std::collections::VecDeque::new(),
            }),
            last_output: Mutex::new(Instant::now()),
        }
    }
    fn lock(&self) -> std::sync::MutexGuard<'_, SinkState> {
        match self.state.lock() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        }
    }
    /// A line from travis-local itself, masked like job output.
    pub fn note(&self, text: &str) {
        let mut s = self.lock();
        let masked = s.masker.mask_all(text.as_bytes());
        s.keep(&masked);
        s.keep(b"\n");
        let line = String::from_utf8_lossy(&masked).into_owned();
        s.printer.note(&line);
    }
    /// Flushes everything held back (end of the job).
    pub fn finish(&self) {
        let mut s = self.lock();
        let rest = s.masker.finish();
        s.keep(&rest);
        let mut ev = s.parser.push(&rest);
        ev.extend(s.parser.finish());
        s.printer.events(ev);
        s.printer.finish();
    }
    /// The end of the masked log so far (at most [`TAIL_BYTES`], cut at a line start).
    pub fn tail(&self) -> String {
        let s = self.lock();
        let bytes: Vec<u8> = s.tail.iter().copied().collect();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        match (s.tail.len() >= TAIL_BYTES, text.find('\n')) {
            (true, Some(i)) => text[i + 1..].to_string(),
            _ => text,
        }
    }
    /// Restarts the silence clock (the job is about to start).
    pub(super) fn touch(&self) {
        if let Ok(mut t) = self.last_output.lock() {
            *t = Instant::now();
        }
    }
    pub(super) fn silence(&self) -> Duration {
        match self.last_output.lock() {
            Ok(t) => t.elapsed(),
            Err(p) => p.into_inner().elapsed(),
        }
    }
}

impl OutputSink for JobSink {
    fn output(&self, bytes: &[u8]) {
        if let Ok(mut t) = self.last_output.lock() {
            *t = Instant::now();
        }
        let mut s = self.lock();
        let masked = s.masker.push(bytes);
        s.keep(&masked);
        let ev: Vec<LogEvent> = s.parser.push(&masked);
        s.printer.events(ev);
    }
}
