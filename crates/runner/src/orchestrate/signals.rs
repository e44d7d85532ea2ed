//! Ctrl-C and SIGTERM: the first signal received, the process-wide [`Interrupts`] state
//! its handler shares with the running jobs, and the log lines of a job stopped from
//! outside.

use super::RunSettings;
use crate::executor::{CancelReason, CancelToken};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// The signal that stopped the run (the first one received).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopSignal {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM (`kill`, a service manager, a CI runner stopping).
    Terminate,
    /// SIGHUP (the terminal went away).
    HangUp,
}

impl StopSignal {
    pub fn from_signal(signal: i32) -> Self {
        match signal {
            libc::SIGTERM => StopSignal::Terminate,
            libc::SIGHUP => StopSignal::HangUp,
            _ => StopSignal::Interrupt,
        }
    }
    /// `SIGINT`, `SIGTERM`, `SIGHUP`.
    pub fn name(self) -> &'static str {
        match self {
            StopSignal::Interrupt => "SIGINT",
            StopSignal::Terminate => "SIGTERM",
            StopSignal::HangUp => "SIGHUP",
        }
    }
    /// `Interrupted (Ctrl-C)`, `Terminated (SIGTERM)`, `Hung up (SIGHUP)`.
    pub fn title(self) -> &'static str {
        match self {
            StopSignal::Interrupt => "Interrupted (Ctrl-C)",
            StopSignal::Terminate => "Terminated (SIGTERM)",
            StopSignal::HangUp => "Hung up (SIGHUP)",
        }
    }
    /// The title in lower case, for a job's `reason`.
    pub fn reason(self) -> &'static str {
        match self {
            StopSignal::Interrupt => "interrupted (Ctrl-C)",
            StopSignal::Terminate => "terminated (SIGTERM)",
            StopSignal::HangUp => "hung up (SIGHUP)",
        }
    }
    /// 128 + the signal number, as shells report it: 130, 143, 129.
    pub fn exit_code(self) -> i32 {
        match self {
            StopSignal::Interrupt => 130,
            StopSignal::Terminate => 143,
            StopSignal::HangUp => 129,
        }
    }
}

/// Ctrl-C / SIGTERM state shared with the signal handler.
///
/// Before the jobs phase ([`Interrupts::arm`]) nothing needs stopping gracefully, so a
/// signal removes the run directory (and the run's state file) and exits at once (e.g.
/// during a long image build in `Executor::prepare`, which has no cancel token).
#[derive(Default)]
pub struct Interrupts {
    count: AtomicUsize,
    /// The first signal received (0 = none).
    signal: AtomicI32,
    tokens: Mutex<Vec<CancelToken>>,
    armed: AtomicBool,
    run_dir: Mutex<Option<PathBuf>>,
}

impl Interrupts {
    pub fn interrupted(&self) -> bool {
        self.count.load(Ordering::SeqCst) > 0
    }
    /// The signal that stopped the run (SIGINT when none was received).
    pub fn stop_signal(&self) -> StopSignal {
        StopSignal::from_signal(self.signal.load(Ordering::SeqCst))
    }
    /// The directory to remove if a signal comes before the jobs phase.
    pub fn set_run_dir(&self, dir: Option<PathBuf>) {
        if let Ok(mut d) = self.run_dir.lock() {
            *d = dir;
        }
    }
    /// From now on a signal stops the jobs gracefully and the run prints its summary.
    pub fn arm(&self) {
        self.armed.store(true, Ordering::SeqCst);
    }
    /// Called for each SIGINT/SIGTERM/SIGHUP: first time graceful, then forced.
    pub fn fire(&self, signal: i32) {
        let _ = self
            .signal
            .compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst);
        if !self.armed.load(Ordering::SeqCst) {
            if let Ok(Some(dir)) = self.run_dir.lock().map(|d| d.clone()) {
                let _ = std::fs::remove_dir_all(dir);
            }
            crate::state::finish();
            let stop = self.stop_signal();
            eprintln!("{} before any job started.", stop.title());
            std::process::exit(stop.exit_code());
        }
        let n = self.count.fetch_add(1, Ordering::SeqCst) + 1;
        let reason = if n == 1 {
            CancelReason::Interrupted
        } else {
            CancelReason::Forced
        };
        let tokens = match self.tokens.lock() {
            Ok(t) => t,
            Err(p) => p.into_inner(),
        };
        for t in tokens.iter() {
            t.cancel(reason);
        }
    }
    pub(super) fn register(&self, token: &CancelToken) {
        if let Ok(mut t) = self.tokens.lock() {
            t.push(token.clone());
        }
        if self.interrupted() {
            token.cancel(CancelReason::Interrupted);
        }
    }
}

static INTERRUPTS: OnceLock<Arc<Interrupts>> = OnceLock::new();

/// The process-wide signal state; installs the SIGINT/SIGTERM/SIGHUP handlers on first
/// use.
pub fn interrupts() -> Arc<Interrupts> {
    INTERRUPTS
        .get_or_init(|| {
            let state = Arc::new(Interrupts::default());
            // Failing to install only loses the graceful stop.
            let _ = install_signal_handlers(state.clone());
            state
        })
        .clone()
}

/// The handlers only write the signal number to a pipe (async-signal-safe); a thread
/// reads it and calls [`Interrupts::fire`].
fn install_signal_handlers(state: Arc<Interrupts>) -> std::io::Result<()> {
    use std::io::Read;
    use std::os::fd::{AsRawFd, IntoRawFd};
    let (read_end, write_end) = crate::host::make_pipe()?;
    // SAFETY: fcntl on a descriptor we own; a full pipe then drops a signal instead of
    // blocking inside the handler.
    unsafe {
        let fd = write_end.as_raw_fd();
        let flags = libc::fcntl(fd, libc::F_GETFL);
        libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK);
    }
    // Kept open for the life of the process (the handlers use it).
    let wfd = write_end.into_raw_fd();
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        let byte = u8::try_from(signal).unwrap_or(0);
        // SAFETY: the action only calls write(2), which is async-signal-safe.
        unsafe {
            signal_hook_registry::register(signal, move || {
                libc::write(wfd, (&byte as *const u8).cast(), 1);
            })
        }
        .map_err(std::io::Error::other)?;
    }
    std::thread::Builder::new()
        .name("travis-local-signals".into())
        .spawn(move || {
            let mut reader = std::fs::File::from(read_end);
            let mut byte = [0u8; 1];
            loop {
                match reader.read(&mut byte) {
                    Ok(1) => state.fire(i32::from(byte[0])),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    _ => break,
                }
            }
        })?;
    Ok(())
}

/// The Travis log lines for a job stopped from outside.
pub fn stop_message(
    reason: CancelReason,
    settings: &RunSettings,
    signal: StopSignal,
) -> Vec<String> {
    match reason {
        CancelReason::SilenceTimeout => vec![
            String::new(),
            format!(
                "No output has been received in the last {}, this potentially indicates a stalled build or something wrong with the build itself.",
                crate::duration::go_format(settings.silence_timeout)
            ),
            "Check the details on how to adjust your build configuration on: https://docs.travis-ci.com/user/common-build-problems/#build-times-out-because-no-output-was-received".into(),
            String::new(),
            "The build has been terminated".into(),
            String::new(),
        ],
        CancelReason::JobTimeout => vec![
            String::new(),
            "The job exceeded the maximum time limit for jobs, and has been terminated.".into(),
            format!("(job time limit: {})", crate::duration::go_format(settings.job_timeout)),
            String::new(),
        ],
        CancelReason::Interrupted | CancelReason::Forced => {
            vec![
                String::new(),
                format!("{}: the job was stopped.", signal.title()),
                "Done: Job Cancelled".into(),
            ]
        }
        CancelReason::Canceled => vec![String::new(), "Done: Job Cancelled".into()],
    }
}
