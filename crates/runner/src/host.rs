//! The host executor: runs the job's bash script directly on this machine.
//!
//! `bash <home>/build.sh` runs in its own process group, with a clean environment
//! (a few host variables such as PATH and locale, then `HOME` = the job's fresh home,
//! then [`JobRun::env`]), cwd = the copied build dir, stdin closed, and stdout and
//! stderr on one pipe so they interleave as on Travis's terminal. When the token is
//! cancelled the whole group gets SIGTERM, then SIGKILL after a short grace period
//! (at once for [`CancelReason::Forced`]). When bash ends, processes it left behind
//! in its group are killed, as `travis_terminate` does on Travis (spec §7.14). The group
//! is recorded in the run's state file ([`crate::state`]) while it runs, so that
//! `travis-local clean` can stop it if travis-local itself is killed.

use crate::executor::{CancelReason, CancelToken, ExecError, Executor, JobEnd, JobRun, OutputSink};
use std::fs::File;
use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Host variables passed through to the job (everything else is dropped so the job
/// sees an environment close to a fresh Travis VM, and host credentials do not leak).
const PASS_THROUGH: &[&str] = &[
    "PATH",
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "USER",
    "LOGNAME",
    "TMPDIR",
    "DOCKER_HOST",
    "DOCKER_CONFIG",
    "DOCKER_CERT_PATH",
    "DOCKER_TLS_VERIFY",
];

/// How long a cancelled job gets between SIGTERM and SIGKILL.
const GRACE: Duration = Duration::from_secs(2);
const POLL: Duration = Duration::from_millis(50);

#[derive(Debug, Default)]
pub struct HostExecutor;

fn exec_err(message: String) -> ExecError {
    ExecError {
        environment: true,
        message,
    }
}

pub(crate) fn make_pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` is a valid array of two ints; on success both are fresh fds we own.
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: pipe2 succeeded, so both descriptors are open and owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

fn kill_group(pgid: u32, signal: libc::c_int) {
    if let Ok(pid) = libc::pid_t::try_from(pgid) {
        if pid > 0 {
            // SAFETY: killpg only sends a signal; errors (ESRCH) are harmless here.
            unsafe {
                libc::killpg(pid, signal);
            }
        }
    }
}

/// Waits until `fd` is readable or `timeout` passes. Returns true when readable/EOF.
fn readable(file: &File, timeout: Duration) -> bool {
    use std::os::fd::AsRawFd;
    let mut pfd = libc::pollfd {
        fd: file.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = libc::c_int::try_from(timeout.as_millis()).unwrap_or(100);
    // SAFETY: one valid pollfd.
    let rc = unsafe { libc::poll(&mut pfd, 1, ms) };
    rc > 0
}

impl Executor for HostExecutor {
    fn name(&self) -> &str {
        "host"
    }

    fn prepare(&self, _jobs: &[JobRun], _sink: &dyn OutputSink) -> Result<(), ExecError> {
        let ok = Command::new("bash")
            .args(["-c", "exit 0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if ok {
            Ok(())
        } else {
            Err(exec_err("the host executor needs `bash` on PATH".into()))
        }
    }

    fn run(
        &self,
        job: &JobRun,
        sink: &dyn OutputSink,
        cancel: &CancelToken,
    ) -> Result<JobEnd, ExecError> {
        let script_path = job.home_dir.join("build.sh");
        std::fs::write(&script_path, &job.script)
            .map_err(|e| exec_err(format!("cannot write {}: {e}", script_path.display())))?;
        let (read_end, write_end) =
            make_pipe().map_err(|e| exec_err(format!("cannot create a pipe: {e}")))?;
        let write2 = write_end
            .try_clone()
            .map_err(|e| exec_err(format!("cannot duplicate a pipe: {e}")))?;

        let mut cmd = bash_command(job, &script_path, write_end, write2, sink);
        let mut child = cmd
            .spawn()
            .map_err(|e| exec_err(format!("cannot start bash: {e}")))?;
        // The Command (holding the pipe's write ends) must go so EOF can be seen.
        drop(cmd);
        let pgid = child.id();
        // Recorded so that `travis-local clean` can stop the group if travis-local dies.
        let group = i32::try_from(pgid)
            .ok()
            .map(|id| crate::state::ProcessGroup {
                pgid: id,
                start_time: crate::state::start_time_of(pgid),
            });
        if let Some(g) = &group {
            crate::state::update(|s| s.process_groups.push(g.clone()));
        }
        let mut reader = File::from(read_end);
        let exited = AtomicBool::new(false);

        let result = std::thread::scope(|scope| {
            let exited_ref = &exited;
            let reader_thread = scope.spawn(move || pump(&mut reader, sink, exited_ref));

            let (status, cancelled) = wait_cancellable(&mut child, pgid, cancel);
            // Leftover background processes of the job (travis_terminate semantics).
            kill_group(pgid, libc::SIGKILL);
            if let Some(g) = &group {
                crate::state::update(|s| s.process_groups.retain(|x| x != g));
            }
            exited.store(true, Ordering::SeqCst);
            let _ = reader_thread.join();
            (status, cancelled)
        });

        let (status, cancelled) = result;
        let status = status.map_err(|e| exec_err(format!("waiting for bash failed: {e}")))?;
        if let Some(reason) = cancelled.or_else(|| cancel.reason()) {
            return Ok(JobEnd::Cancelled(reason));
        }
        match (status.code(), status.signal()) {
            (Some(code), _) => Ok(JobEnd::Exited(code)),
            (None, Some(sig)) => Ok(JobEnd::Killed(format!("bash was killed by signal {sig}"))),
            (None, None) => Ok(JobEnd::Killed("bash ended without an exit status".into())),
        }
    }
}

/// The `bash build.sh` of a job: a clean environment (a few variables passed through,
/// the job's own), output to the pipe, its own process group.
fn bash_command(
    job: &JobRun,
    script_path: &std::path::Path,
    stdout: OwnedFd,
    stderr: OwnedFd,
    sink: &dyn OutputSink,
) -> Command {
    let mut cmd = Command::new("bash");
    cmd.arg(script_path)
        .current_dir(&job.build_dir)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::from(stdout))
        .stderr(Stdio::from(stderr))
        .process_group(0);
    for name in PASS_THROUGH {
        if let Some(v) = std::env::var_os(name) {
            cmd.env(name, v);
        }
    }
    cmd.env("HOME", &job.home_dir);
    cmd.env("SHELL", "/bin/bash");
    for (k, v) in &job.env {
        cmd.env(k, v);
    }
    if let Some(spec) = &job.cache {
        match crate::cache::prepare_host(&job.home_dir, spec) {
            Ok(dir) => {
                cmd.env("TRAVIS_LOCAL_CACHE_DIR", dir);
            }
            Err(e) => sink.output(
                format!("travis-local: warning: the build cache is not used: {e}\n").as_bytes(),
            ),
        }
    }
    cmd
}

/// Copy the job's output to the sink until EOF, or until a while after bash exited
/// (stragglers outside the group may hold the pipe open).
fn pump(reader: &mut File, sink: &dyn OutputSink, exited: &AtomicBool) {
    let mut buf = [0u8; 8192];
    let mut exit_seen_at: Option<Instant> = None;
    loop {
        if exited.load(Ordering::SeqCst) {
            let at = *exit_seen_at.get_or_insert_with(Instant::now);
            // Stragglers outside the group may hold the pipe open.
            if at.elapsed() > Duration::from_secs(3) {
                break;
            }
        }
        if !readable(reader, Duration::from_millis(100)) {
            if exit_seen_at.is_some() {
                break;
            }
            continue;
        }
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => sink.output(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
}

/// Wait for bash, stopping its group when the job is cancelled (SIGTERM, then SIGKILL
/// after [`GRACE`]; SIGKILL at once when forced).
fn wait_cancellable(
    child: &mut std::process::Child,
    pgid: u32,
    cancel: &CancelToken,
) -> (
    std::io::Result<std::process::ExitStatus>,
    Option<CancelReason>,
) {
    let mut cancelled: Option<CancelReason> = None;
    let mut term_sent: Option<Instant> = None;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) => {}
            Err(e) => break Err(e),
        }
        if let Some(reason) = cancel.reason() {
            if cancelled.is_none() || (reason == CancelReason::Forced && cancelled != Some(reason))
            {
                cancelled = Some(reason);
                if reason == CancelReason::Forced {
                    kill_group(pgid, libc::SIGKILL);
                } else {
                    kill_group(pgid, libc::SIGTERM);
                    term_sent = Some(Instant::now());
                }
            }
            if term_sent.is_some_and(|t| t.elapsed() > GRACE) {
                kill_group(pgid, libc::SIGKILL);
                term_sent = None;
            }
        }
        std::thread::sleep(POLL);
    };
    (status, cancelled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Collect(Mutex<Vec<u8>>);
    impl OutputSink for Collect {
        fn output(&self, bytes: &[u8]) {
            self.0.lock().unwrap().extend_from_slice(bytes);
        }
    }

    fn job(dir: &std::path::Path, script: &str, env: Vec<(String, String)>) -> JobRun {
        JobRun {
            number: "1.1".into(),
            run_id: "t".into(),
            script: script.into(),
            env,
            build_dir: dir.to_path_buf(),
            home_dir: dir.to_path_buf(),
            repo_slug: "o/r".into(),
            config: serde_json::json!({}),
            cache: None,
        }
    }

    #[test]
    fn runs_script_with_env_and_interleaved_output() {
        let dir = tempfile::tempdir().unwrap();
        let sink = Collect::default();
        let j = job(
            dir.path(),
            "echo out; echo err >&2; echo \"$SECRET_X|$HOME\"; exit 3\n",
            vec![("SECRET_X".into(), "v".into())],
        );
        let end = HostExecutor.run(&j, &sink, &CancelToken::new()).unwrap();
        assert_eq!(end, JobEnd::Exited(3));
        let out = String::from_utf8(sink.0.into_inner().unwrap()).unwrap();
        assert_eq!(out, format!("out\nerr\nv|{}\n", dir.path().display()));
    }

    #[test]
    fn a_job_ignoring_sigterm_is_killed_after_the_grace_period() {
        let dir = tempfile::tempdir().unwrap();
        let sink = Collect::default();
        let j = job(
            dir.path(),
            "trap '' TERM\necho ready\nwhile :; do sleep 0.1; done\n",
            vec![],
        );
        let token = CancelToken::new();
        let t2 = token.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            t2.cancel(CancelReason::Interrupted);
        });
        let start = Instant::now();
        let end = HostExecutor.run(&j, &sink, &token).unwrap();
        assert_eq!(end, JobEnd::Cancelled(CancelReason::Interrupted));
        assert!(
            start.elapsed() < Duration::from_secs(8),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn a_detached_process_holding_the_pipe_does_not_hang_the_job() {
        let dir = tempfile::tempdir().unwrap();
        let sink = Collect::default();
        let j = job(dir.path(), "setsid sleep 6 &\necho bye\n", vec![]);
        let start = Instant::now();
        let end = HostExecutor.run(&j, &sink, &CancelToken::new()).unwrap();
        assert_eq!(end, JobEnd::Exited(0));
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(
            String::from_utf8(sink.0.into_inner().unwrap()).unwrap(),
            "bye\n"
        );
    }

    #[test]
    fn cancel_kills_the_process_group() {
        let dir = tempfile::tempdir().unwrap();
        let sink = Collect::default();
        let marker = dir.path().join("bg-alive");
        let script = format!("(sleep 30; touch {}) &\nsleep 30\n", marker.display());
        let j = job(dir.path(), &script, vec![]);
        let token = CancelToken::new();
        let t2 = token.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            t2.cancel(CancelReason::JobTimeout);
        });
        let start = Instant::now();
        let end = HostExecutor.run(&j, &sink, &token).unwrap();
        assert_eq!(end, JobEnd::Cancelled(CancelReason::JobTimeout));
        assert!(start.elapsed() < Duration::from_secs(10));
    }
}
