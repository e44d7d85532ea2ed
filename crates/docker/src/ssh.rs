//! `ssh://[user@]host[:port][/socket]` engines, reached through the system `ssh` as the
//! docker CLI reaches them: each connection to the engine is a
//! `ssh [-l user] [-p port] -- host docker [-H unix:///socket] system dial-stdio`, whose
//! stdin/stdout carry the Engine API.
//!
//! bollard talks HTTP over a stream, so a private unix socket (in a 0700 temporary
//! directory, removed at exit) stands in for the engine: every connection accepted on
//! it gets one such `ssh` and bytes are copied both ways. One ssh *master* connection
//! (`-M -S <dir>/ctl -N`, started first, owned by this process) carries them all, so a
//! connection costs a channel on an open session, not a new SSH handshake; it also
//! gives a clear error (authentication, host key, unreachable host) before any request.
//! bollard opens a connection per request and a session takes ≈ 0.2 s to start (sshd,
//! a shell, the remote docker CLI), so [`WARM`] sessions are kept started ahead.
//!
//! The user's `~/.ssh/config` applies as for any `ssh`; `TRAVIS_LOCAL_SSH_CONFIG=FILE`
//! passes `-F FILE` instead (keys, known_hosts, ports of a test or CI setup).

use std::io::Read;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Where `ssh://…` points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
    /// The engine's socket on the remote machine (`ssh://h/var/run/docker.sock`).
    pub socket: Option<String>,
}

/// Parses `ssh://[user@]host[:port][/path]`.
pub fn parse(url: &str) -> Result<Target, String> {
    let rest = url
        .strip_prefix("ssh://")
        .ok_or_else(|| format!("{url}: not an ssh:// address"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], Some(&rest[i..])),
        None => (rest, None),
    };
    let (user, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u.to_string()), h),
        None => (None, authority),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') || h.starts_with('[') => {
            let port = p
                .parse::<u16>()
                .map_err(|_| format!("{url}: invalid port {p:?}"))?;
            (h.trim_start_matches('[').trim_end_matches(']'), Some(port))
        }
        _ => (hostport, None),
    };
    if host.is_empty() || host.starts_with('-') {
        return Err(format!("{url}: no host"));
    }
    Ok(Target {
        user: user.filter(|u| !u.is_empty()),
        host: host.to_string(),
        port,
        socket: path.filter(|p| *p != "/").map(str::to_string),
    })
}

/// The `ssh` options common to the master and each connection.
fn base_args(t: &Target) -> Vec<String> {
    let mut args = Vec::new();
    if let Some(config) = std::env::var_os("TRAVIS_LOCAL_SSH_CONFIG").filter(|c| !c.is_empty()) {
        args.push("-F".into());
        args.push(config.to_string_lossy().into_owned());
    }
    if let Some(user) = &t.user {
        args.extend(["-l".into(), user.clone()]);
    }
    if let Some(port) = t.port {
        args.extend(["-p".into(), port.to_string()]);
    }
    args
}

/// The remote command of a connection (after `--` and the host).
pub fn remote_command(t: &Target) -> Vec<String> {
    let mut cmd = vec!["docker".to_string()];
    if let Some(socket) = &t.socket {
        cmd.extend(["-H".into(), format!("unix://{socket}")]);
    }
    cmd.extend(["system".into(), "dial-stdio".into()]);
    cmd
}

struct Proxy {
    socket: PathBuf,
    /// The last thing an `ssh` wrote on stderr (for error messages).
    last_error: Arc<Mutex<String>>,
}

static PROXIES: Mutex<Vec<(String, &'static Proxy)>> = Mutex::new(Vec::new());
static CLEANUP: OnceLock<Mutex<Vec<(PathBuf, u32)>>> = OnceLock::new();

extern "C" fn at_exit() {
    if let Some(list) = CLEANUP.get() {
        if let Ok(list) = list.lock() {
            for (dir, master) in list.iter() {
                // SAFETY: kill has no memory preconditions.
                unsafe {
                    libc::kill(*master as libc::pid_t, libc::SIGTERM);
                }
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }
}

/// The local socket (`unix://…`) standing in for the `ssh://` engine `url`; the proxy
/// is started on first use and lives as long as the process.
pub fn local_socket_for(url: &str) -> Result<String, String> {
    let mut proxies = PROXIES.lock().map_err(|_| "ssh proxy lock poisoned")?;
    if let Some((_, p)) = proxies.iter().find(|(u, _)| u == url) {
        return Ok(format!("unix://{}", p.socket.display()));
    }
    let target = parse(url)?;
    let proxy: &'static Proxy = Box::leak(Box::new(start(&target, url)?));
    proxies.push((url.to_string(), proxy));
    Ok(format!("unix://{}", proxy.socket.display()))
}

/// What the last `ssh` said on stderr, if anything.
pub fn last_error(url: &str) -> Option<String> {
    let proxies = PROXIES.lock().ok()?;
    let (_, p) = proxies.iter().find(|(u, _)| u == url)?;
    let text = p.last_error.lock().ok()?.trim().to_string();
    (!text.is_empty()).then_some(text)
}

/// Removes proxy directories of travis-local processes that are gone (a `kill -9`
/// skips the clean-up at exit); each holds its owner's pid in `pid`.
fn sweep_stale() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        if !entry
            .file_name()
            .to_string_lossy()
            .starts_with("travis-local-ssh-")
        {
            continue;
        }
        let Ok(pid) = std::fs::read_to_string(entry.path().join("pid")) else {
            continue;
        };
        let pid = pid.trim();
        if !pid.is_empty() && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn start(t: &Target, url: &str) -> Result<Proxy, String> {
    sweep_stale();
    let dir = tempfile::Builder::new()
        .prefix("travis-local-ssh-")
        .tempdir()
        .map_err(|e| format!("cannot create a directory for the ssh proxy: {e}"))?
        .keep();
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
    }
    let _ = std::fs::write(dir.join("pid"), std::process::id().to_string());
    let fail = |msg: String| {
        let _ = std::fs::remove_dir_all(&dir);
        msg
    };
    let socket = dir.join("docker.sock");
    let control = dir.join("ctl");
    let listener = UnixListener::bind(&socket)
        .map_err(|e| fail(format!("cannot listen on {}: {e}", socket.display())))?;
    let last_error = Arc::new(Mutex::new(String::new()));
    let mut args = base_args(t);
    args.extend([
        "-S".into(),
        control.display().to_string(),
        "-o".into(),
        "ControlMaster=no".into(),
        "--".into(),
        t.host.clone(),
    ]);
    args.extend(remote_command(t));
    let errors = last_error.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    let (target, log) = (t.clone(), dir.join("master.log"));
    // The master is spawned by the thread that lives as long as the process (its
    // parent-death signal follows the spawning thread).
    std::thread::Builder::new()
        .name("travis-local-ssh".into())
        .spawn(move || {
            let master = start_master(&target, &control, &log);
            let ok = master.is_ok();
            let _ = tx.send(master);
            if !ok {
                return;
            }
            let pool = Arc::new(Pool::default());
            let warm = pool.clone();
            let spawn_args = args.clone();
            // Sessions are started ahead by a thread that lives as long as the process
            // (see above), so a connection rarely waits for one.
            let _ = std::thread::Builder::new()
                .name("travis-local-ssh-warm".into())
                .spawn(move || warm.keep_warm(&spawn_args));
            for conn in listener.incoming().flatten() {
                let session = pool.take().or_else(|| Session::spawn(&args).ok());
                let errors = errors.clone();
                if let Some(session) = session {
                    std::thread::spawn(move || session.relay(conn, &errors));
                }
            }
        })
        .map_err(|e| fail(format!("cannot start the ssh proxy: {e}")))?;
    let master = rx
        .recv()
        .map_err(|_| "the ssh proxy thread ended".to_string())
        .and_then(|r| r)
        .map_err(|e| fail(format!("{url}: {e}")))?;
    let list = CLEANUP.get_or_init(|| {
        // SAFETY: registering a plain extern "C" function.
        unsafe {
            libc::atexit(at_exit);
        }
        Mutex::new(Vec::new())
    });
    if let Ok(mut list) = list.lock() {
        list.push((dir.clone(), master));
    }
    Ok(Proxy { socket, last_error })
}

/// Starts the master connection and waits until it accepts sessions; returns its pid.
fn start_master(t: &Target, control: &Path, log: &Path) -> Result<u32, String> {
    let mut args = base_args(t);
    args.extend([
        "-M".into(),
        "-S".into(),
        control.display().to_string(),
        "-o".into(),
        "ControlPersist=no".into(),
        "-o".into(),
        "ConnectTimeout=30".into(),
        "-N".into(),
        "--".into(),
        t.host.clone(),
    ]);
    let log_file = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let mut child = spawn_ssh(&args, Stdio::null(), Stdio::null(), log_file.into())
        .map_err(|e| format!("cannot run ssh (is OpenSSH's client installed?): {e}"))?;
    let started = Instant::now();
    loop {
        if control.exists() {
            return Ok(child.id());
        }
        if let Ok(Some(status)) = child.try_wait() {
            let err = std::fs::read_to_string(log).unwrap_or_default();
            let err = err.trim().replace('\n', "; ");
            return Err(format!(
                "ssh to {} failed ({status}){}",
                t.host,
                if err.is_empty() {
                    String::new()
                } else {
                    format!(": {err}")
                }
            ));
        }
        if started.elapsed() > Duration::from_secs(40) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("ssh to {} did not connect within 40 s", t.host));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn spawn_ssh(
    args: &[String],
    stdin: Stdio,
    stdout: Stdio,
    stderr: Stdio,
) -> std::io::Result<Child> {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new("ssh");
    cmd.args(args).stdin(stdin).stdout(stdout).stderr(stderr);
    // SAFETY: prctl in the child before exec; it dies with its parent (no leftover ssh
    // after a kill -9 of travis-local).
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
    cmd.spawn()
}

/// Sessions kept started ahead of the connections that will use them.
const WARM: usize = 3;

/// One `ssh … docker system dial-stdio`, its stdin and stdout one end of a socket pair.
struct Session {
    child: Child,
    end: UnixStream,
}

#[derive(Default)]
struct Pool {
    ready: Mutex<std::collections::VecDeque<Session>>,
    wanted: std::sync::Condvar,
}

impl Pool {
    /// Keeps [`WARM`] sessions started (runs forever on its own thread).
    fn keep_warm(&self, args: &[String]) {
        loop {
            let Ok(mut ready) = self.ready.lock() else {
                return;
            };
            while ready.len() >= WARM {
                ready = match self.wanted.wait(ready) {
                    Ok(r) => r,
                    Err(_) => return,
                };
            }
            drop(ready);
            match Session::spawn(args) {
                Ok(s) => {
                    if let Ok(mut ready) = self.ready.lock() {
                        ready.push_back(s);
                    }
                }
                Err(_) => std::thread::sleep(Duration::from_secs(1)),
            }
        }
    }

    /// A started session that is still alive, if any; asks for a replacement.
    fn take(&self) -> Option<Session> {
        let mut ready = self.ready.lock().ok()?;
        let found = loop {
            let mut s = ready.pop_front()?;
            if matches!(s.child.try_wait(), Ok(None)) {
                break s;
            }
            let _ = s.child.wait();
        };
        self.wanted.notify_one();
        Some(found)
    }
}

impl Session {
    fn spawn(args: &[String]) -> std::io::Result<Session> {
        let (end, theirs) = UnixStream::pair()?;
        let input = theirs.try_clone()?;
        let child = spawn_ssh(
            args,
            Stdio::from(std::os::fd::OwnedFd::from(input)),
            Stdio::from(std::os::fd::OwnedFd::from(theirs)),
            Stdio::piped(),
        )?;
        Ok(Session { child, end })
    }

    /// Copies bytes both ways between the accepted connection and the session (each
    /// direction half-closed at its end), then waits for the ssh and keeps what it said
    /// on stderr.
    fn relay(mut self, conn: UnixStream, errors: &Mutex<String>) {
        let (Ok(conn_in), Ok(end_out)) = (conn.try_clone(), self.end.try_clone()) else {
            let _ = self.child.kill();
            let _ = self.child.wait();
            return;
        };
        let upstream = std::thread::spawn(move || pump(conn_in, end_out));
        pump(self.end, conn);
        let _ = upstream.join();
        let mut err = String::new();
        if let Some(mut stderr) = self.child.stderr.take() {
            let _ = stderr.read_to_string(&mut err);
        }
        let _ = self.child.wait();
        if !err.trim().is_empty() {
            if let Ok(mut last) = errors.lock() {
                *last = err;
            }
        }
    }
}

/// Plain read/write copy until EOF or an error, then a half-close of `to`.
fn pump(mut from: UnixStream, mut to: UnixStream) {
    use std::io::Write;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Write);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ssh_addresses() {
        let t = parse("ssh://ci@build.example:2222").unwrap();
        assert_eq!(t.user.as_deref(), Some("ci"));
        assert_eq!(t.host, "build.example");
        assert_eq!(t.port, Some(2222));
        assert_eq!(t.socket, None);
        let t = parse("ssh://host/run/docker.sock").unwrap();
        assert_eq!((t.user, t.port), (None, None));
        assert_eq!(t.socket.as_deref(), Some("/run/docker.sock"));
        assert_eq!(
            remote_command(&parse("ssh://h/run/d.sock").unwrap()),
            ["docker", "-H", "unix:///run/d.sock", "system", "dial-stdio"]
        );
        assert_eq!(
            remote_command(&parse("ssh://h").unwrap()),
            ["docker", "system", "dial-stdio"]
        );
        assert!(parse("ssh://").is_err());
        assert!(parse("ssh://h:x").is_err());
        assert!(parse("ssh://-oProxyCommand=x").is_err());
        assert_eq!(parse("ssh://[::1]:22").unwrap().host, "::1");
    }
}
