//! The Docker executor: one labelled, long-running container per job, made from the
//! job's image plus the Travis layer; the host build directory bind-mounted at the same
//! absolute path (so `docker-compose` bind mounts inside the job resolve on the host);
//! the script uploaded as `/home/travis/build.sh` and run in ONE exec as `travis` with a
//! TTY, output streamed raw to the runner's sink; the exec's exit code is the result.
//! Cancellation: SIGTERM to every process of the job, SIGKILL of the container after a
//! short grace (at once when forced), then removal, well within 10 s.
//!
//! The trait is synchronous; this module owns a tokio runtime and blocks on it, which
//! works from several job threads at once (`-j N`).

use crate::config::ProjectConfig;
use crate::engine::{self, api_message, env_err, is_not_found, op_err};
use crate::images::{self, PullPolicy};
use crate::layer::{self, LayerSpec};
use crate::owned::{forget_container, forget_project, remember_container, remember_project};
pub use crate::owned::{
    job_name, sanitize, LABEL_COMPOSE, LABEL_JOB, LABEL_OWNER, LABEL_RUN, NAME_PREFIX,
};
use crate::progress::Progress;
use bollard::exec::{StartExecOptions, StartExecResults};
use bollard::models::{ContainerCreateBody, ExecConfig, HostConfig};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, KillContainerOptionsBuilder, ListContainersOptionsBuilder,
    RemoveContainerOptionsBuilder, UploadToContainerOptionsBuilder,
};
use bollard::Docker;
use futures_util::StreamExt;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use travis_local_runner::executor::{
    CancelReason, CancelToken, ExecError, Executor, JobEnd, JobRun, OutputSink,
};

/// The output and input of an attached exec.
type ExecOutput = std::pin::Pin<
    Box<
        dyn futures_util::Stream<
                Item = Result<bollard::container::LogOutput, bollard::errors::Error>,
            > + Send,
    >,
>;
type ExecInput = std::pin::Pin<Box<dyn tokio::io::AsyncWrite + Send>>;

/// uid/gid of `travis` in the Travis layer.
pub const TRAVIS_UID: u32 = 2000;

/// Grace between SIGTERM to the job's processes and SIGKILL of the container.
const GRACE: Duration = Duration::from_secs(3);
const TICK: Duration = Duration::from_millis(50);

/// Resolved settings (flags over project config over defaults).
#[derive(Debug, Clone)]
pub struct Settings {
    pub image: Option<String>,
    pub pull: PullPolicy,
    pub network: String,
    pub nano_cpus: Option<i64>,
    pub memory: Option<i64>,
    pub keep_on_failure: bool,
    pub trust_host_ca: bool,
    /// Ship the tree through the Engine API even to a local engine (`--ship-tree`).
    pub ship_tree: bool,
    pub project: ProjectConfig,
    /// `--debug[=WHEN]` (see [`crate::debug`]).
    pub debug: Option<crate::debug::DebugMode>,
}

pub struct DockerExecutor {
    pub(crate) rt: tokio::runtime::Runtime,
    pub(crate) docker: Docker,
    settings: Settings,
    /// base image → layer tag, filled by `prepare` (or lazily by `run`).
    layers: tokio::sync::Mutex<HashMap<String, String>>,
    /// Containers kept by --keep-on-failure (spared by `cleanup`).
    kept: Mutex<HashSet<String>>,
    /// Some job could talk to the engine (compose leftovers are possible).
    used_docker: std::sync::atomic::AtomicBool,
    /// Job number → the creation and start of its container, begun by `prepare`
    /// (true when both succeeded).
    prestarted: Mutex<HashMap<String, tokio::task::JoinHandle<bool>>>,
}

/// `512m`, `2g`, `1.5g`, `1024` (bytes) → bytes.
pub fn parse_memory(text: &str) -> Result<i64, String> {
    let t = text.trim().to_ascii_lowercase();
    let t = t.strip_suffix('b').unwrap_or(&t);
    let (num, mult) = match t.chars().last() {
        Some('k') => (&t[..t.len() - 1], 1024f64),
        Some('m') => (&t[..t.len() - 1], 1024f64 * 1024.0),
        Some('g') => (&t[..t.len() - 1], 1024f64 * 1024.0 * 1024.0),
        _ => (t, 1f64),
    };
    let n: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("--memory {text}: expected a size such as 512m or 2g"))?;
    let bytes = n * mult;
    if !(6.0 * 1024.0 * 1024.0..9.0e18).contains(&bytes) {
        return Err(format!("--memory {text}: must be at least 6m"));
    }
    Ok(bytes as i64)
}

/// `--cpus 1.5` → nano CPUs.
pub fn parse_cpus(cpus: f64) -> Result<i64, String> {
    if !(cpus > 0.0 && cpus <= 1024.0) {
        return Err(format!(
            "--cpus {cpus}: expected a positive number such as 2 or 0.5"
        ));
    }
    Ok((cpus * 1e9) as i64)
}

fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            std::env::current_dir()
                .map(|d| d.join(path))
                .unwrap_or_else(|_| path.to_path_buf())
        }
    })
}

fn socket_gid(path: &str) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| m.gid())
}

fn host_ids() -> (u32, u32) {
    // SAFETY: getuid/getgid cannot fail and have no preconditions.
    unsafe { (libc::getuid(), libc::getgid()) }
}

/// With `TRAVIS_LOCAL_DOCKER_TRACE=1`, prints how long each step of a job took (stderr).
fn trace(step: &str, since: &mut Instant) {
    if std::env::var_os("TRAVIS_LOCAL_DOCKER_TRACE").is_some() {
        eprintln!("docker-trace: {step}: {} ms", since.elapsed().as_millis());
    }
    *since = Instant::now();
}

/// `chown -R` on the host (no symlink following); used when we are root and the
/// engine is local, which saves an exec round trip per job.
fn chown_tree(path: &Path, uid: u32, gid: u32) -> std::io::Result<()> {
    std::os::unix::fs::lchown(path, Some(uid), Some(gid))?;
    let meta = std::fs::symlink_metadata(path)?;
    if meta.is_dir() {
        for entry in std::fs::read_dir(path)? {
            chown_tree(&entry?.path(), uid, gid)?;
        }
    }
    Ok(())
}

/// The environment every job's script starts from (the Docker and Swarm executors),
/// before the job's own.
pub(crate) fn base_env(compose_project: &str) -> Vec<String> {
    vec![
        "HOME=/home/travis".to_string(),
        "USER=travis".into(),
        "LOGNAME=travis".into(),
        "SHELL=/bin/bash".into(),
        "TERM=xterm".into(),
        "DOCKER_BUILDKIT=0".into(),
        format!("COMPOSE_PROJECT_NAME={compose_project}"),
    ]
}

/// Where a `services: docker` job on a TLS engine finds `ca.pem`, `cert.pem`, `key.pem`.
const JOB_CERT_DIR: &str = "/etc/travis-local/docker-tls";

/// The certificate directory when the engine is reached over TLS.
fn tls_material() -> Option<PathBuf> {
    let e = crate::context::resolve().ok()?;
    (e.tls && !e.host.starts_with("unix://") && !e.host.starts_with("ssh://"))
        .then_some(e.cert_dir)
        .flatten()
}

/// `services: docker` in the job's config.
fn wants_docker(job: &JobRun) -> bool {
    travis_local_script::services::names(&job.config)
        .iter()
        .any(|s| s == "docker")
}

/// `build.sh` written into the job's home on the host (local engine); false when it
/// could not be.
fn write_script(home: &Path, script: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let path = home.join("build.sh");
    std::fs::write(&path, script.as_bytes())
        .and_then(|_| std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)))
        .is_ok()
}

/// True when ownership can be changed on the host directly.
fn host_chown_possible() -> bool {
    // SAFETY: geteuid has no preconditions.
    engine::local_socket().is_some() && unsafe { libc::geteuid() } == 0
}

/// Creates a container; a leftover from a crashed run with the same name (409) is
/// removed first and the creation retried (only then: it saves a round trip per job).
async fn create_container(
    docker: &Docker,
    opts: bollard::query_parameters::CreateContainerOptions,
    body: ContainerCreateBody,
) -> Result<(), bollard::errors::Error> {
    match docker
        .create_container(Some(opts.clone()), body.clone())
        .await
    {
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 409, ..
        }) => {
            let rm = RemoveContainerOptionsBuilder::default()
                .force(true)
                .v(true)
                .build();
            if let Some(name) = opts.name.as_deref() {
                let _ = docker.remove_container(name, Some(rm)).await;
            }
            docker.create_container(Some(opts), body).await.map(|_| ())
        }
        other => other.map(|_| ()),
    }
}

/// Everything `run` created for one job.
struct JobContainer {
    name: String,
    layer: String,
    home: PathBuf,
    build: PathBuf,
    compose_project: String,
    /// `services: docker` (the job could talk to the engine).
    docker_service: bool,
    /// `cache:`: the job's cache volumes are mounted under [`crate::cache::MOUNT`].
    cache: Option<travis_local_script::cache::CacheKey>,
    /// `services: docker` on a remote engine: the home lives at its own path on the
    /// engine's host too (bind-mounted, filled by the shipped tree), so that compose
    /// bind mounts resolve there; removed by [`DockerExecutor::remove_engine_host_tree`].
    engine_host_tree: bool,
}

impl DockerExecutor {
    /// Connects to the engine (one line, exit 4, when it cannot).
    pub fn connect(settings: Settings) -> Result<Self, ExecError> {
        let mut t = Instant::now();
        let rt = engine::runtime()?;
        let docker = rt.block_on(engine::connect())?;
        trace("connect", &mut t);
        Ok(Self {
            rt,
            docker,
            settings,
            layers: tokio::sync::Mutex::new(HashMap::new()),
            kept: Mutex::new(HashSet::new()),
            used_docker: std::sync::atomic::AtomicBool::new(false),
            prestarted: Mutex::new(HashMap::new()),
        })
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The base image and where the choice came from.
    pub fn image_for(&self, job: &JobRun) -> (String, images::Source) {
        images::resolve(
            self.settings.image.as_deref(),
            self.settings.project.images.as_ref(),
            &job.config,
        )
    }

    /// Base image present (pull policy) and its Travis layer built; returns the layer tag.
    pub(crate) async fn layer_for(
        &self,
        job: &JobRun,
        progress: &Progress,
    ) -> Result<String, ExecError> {
        let (base, source) = self.image_for(job);
        let mut layers = self.layers.lock().await;
        if let Some(tag) = layers.get(&base) {
            return Ok(tag.clone());
        }
        let recipe = self.settings.project.recipe_for(&base);
        let base_id =
            crate::recipes::ensure_image(&self.docker, &base, self.settings.pull, recipe, progress)
                .await
                .map_err(|e| {
                    env_err(format!(
                        "job {}: {} (image chosen by {source})",
                        job.number, e.message
                    ))
                })?;
        let spec = LayerSpec::new(&base, &base_id, self.settings.trust_host_ca)?;
        let tag = layer::ensure(&self.docker, &spec, progress).await?;
        layers.insert(base, tag.clone());
        Ok(tag)
    }

    /// The job's layer (built when missing, with the job's progress line), or the
    /// reason when the run was cancelled meanwhile.
    pub(crate) async fn job_layer(
        &self,
        job: &JobRun,
        cancel: &CancelToken,
    ) -> Result<Result<String, CancelReason>, ExecError> {
        let progress = Progress::new(&format!("job {}", job.number));
        let layer = self.layer_for(job, &progress).await?;
        Ok(match cancel.reason() {
            Some(reason) => Err(reason),
            None => Ok(layer),
        })
    }

    /// Runs a short command in the container (no TTY) and returns (exit code, output).
    async fn exec_capture(
        &self,
        container: &str,
        user: &str,
        cmd: &[&str],
    ) -> Result<(i64, String), ExecError> {
        let config = ExecConfig {
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            user: Some(user.to_string()),
            cmd: Some(cmd.iter().map(|s| s.to_string()).collect()),
            ..Default::default()
        };
        let id = self
            .docker
            .create_exec(container, config)
            .await
            .map_err(|e| op_err(format!("docker exec in {container}: {}", api_message(&e))))?
            .id;
        let mut text = Vec::new();
        if let StartExecResults::Attached { mut output, .. } = self
            .docker
            .start_exec(&id, None)
            .await
            .map_err(|e| op_err(format!("docker exec in {container}: {}", api_message(&e))))?
        {
            while let Some(Ok(chunk)) = output.next().await {
                text.extend_from_slice(&chunk.into_bytes());
            }
        }
        let code = self.exec_exit_code(&id).await.unwrap_or(-1);
        Ok((code, String::from_utf8_lossy(&text).into_owned()))
    }

    async fn exec_exit_code(&self, exec_id: &str) -> Option<i64> {
        let start = Instant::now();
        loop {
            match self.docker.inspect_exec(exec_id).await {
                Ok(info) if info.running != Some(true) => return info.exit_code,
                Ok(_) if start.elapsed() < Duration::from_secs(3) => {
                    tokio::time::sleep(Duration::from_millis(50)).await
                }
                _ => return None,
            }
        }
    }

    async fn remove_container(&self, name: &str) {
        let opts = RemoveContainerOptionsBuilder::default()
            .force(true)
            .v(true)
            .build();
        let _ = self.docker.remove_container(name, Some(opts)).await;
    }

    async fn container_running(&self, name: &str) -> (bool, String) {
        match self.docker.inspect_container(name, None).await {
            Ok(info) => {
                let state = info.state.unwrap_or_default();
                let mut why = format!("exit code {}", state.exit_code.unwrap_or(-1));
                if state.oom_killed == Some(true) {
                    why.push_str(", out of memory");
                }
                (state.running == Some(true), why)
            }
            Err(e) if is_not_found(&e) => (false, "the container was removed".into()),
            Err(e) => (false, api_message(&e)),
        }
    }

    /// The job container's definition (no secret: the job's environment goes only into
    /// the exec of its script).
    /// `extra_binds`: the job's cache volumes ([`crate::cache::binds`]).
    fn container_body(
        &self,
        job: &JobRun,
        layer: &str,
        extra_binds: Vec<String>,
    ) -> ContainerCreateBody {
        let home = absolute(&job.home_dir);
        let build = absolute(&job.build_dir);
        let home_s = home.display().to_string();
        let build_s = build.display().to_string();
        let wants_docker = wants_docker(job);
        let ship = crate::remote::must_ship(self.settings.ship_tree);
        let mut binds = if self.tree_on_engine_host(job) {
            // The shipped tree lands in these directories of the engine's host.
            vec![format!("{home_s}:{home_s}")]
        } else if ship {
            Vec::new()
        } else {
            vec![
                format!("{home_s}:{home_s}"),
                format!("{home_s}:/home/travis"),
            ]
        };
        if (!ship || self.tree_on_engine_host(job)) && !build.starts_with(&home) {
            binds.push(format!("{build_s}:{build_s}"));
        }
        binds.extend(extra_binds);
        let mut group_add = Vec::new();
        if wants_docker {
            if let Some(sock) = engine::local_socket() {
                binds.push(format!("{sock}:/var/run/docker.sock"));
                if let Some(gid) = socket_gid(&sock) {
                    group_add.push(gid.to_string());
                }
            }
        }
        let mut labels = HashMap::new();
        labels.insert(LABEL_RUN.to_string(), job.run_id.clone());
        labels.insert(LABEL_JOB.to_string(), job.number.clone());
        labels.insert(LABEL_OWNER.to_string(), crate::owned::owner_label());
        let host_config = HostConfig {
            binds: Some(binds),
            network_mode: Some(self.settings.network.clone()),
            group_add: if group_add.is_empty() {
                None
            } else {
                Some(group_add)
            },
            init: Some(true),
            nano_cpus: self.settings.nano_cpus,
            memory: self.settings.memory,
            shm_size: Some(64 * 1024 * 1024),
            ..Default::default()
        };
        ContainerCreateBody {
            image: Some(layer.to_string()),
            cmd: Some(vec!["sleep".into(), "infinity".into()]),
            entrypoint: Some(vec![]),
            user: Some("root".into()),
            hostname: Some("travis-job".into()),
            domainname: Some("travisci.net".into()),
            working_dir: Some(build_s.clone()),
            labels: Some(labels),
            host_config: Some(host_config),
            ..Default::default()
        }
    }

    /// Creates and starts the job container (or takes the one `prepare` started);
    /// writes or uploads the script.
    async fn start(
        &self,
        job: &JobRun,
        layer: &str,
        sink: &dyn OutputSink,
    ) -> Result<JobContainer, ExecError> {
        let mut t = Instant::now();
        let (cache, cache_binds) = self.cache_binds(job, sink).await;
        let ship = crate::remote::must_ship(self.settings.ship_tree);
        let (jc, ready) = self
            .create_job_container(job, layer, cache, cache_binds, &mut t)
            .await?;
        if ship {
            self.ship_tree(&jc.name, &jc.home, &jc.build).await?;
            trace("ship tree", &mut t);
        }
        let started = if ready {
            Ok(())
        } else {
            self.docker.start_container(&jc.name, None).await
        };
        if let Err(e) = started {
            self.remove_container(&jc.name).await;
            return Err(env_err(format!(
                "cannot start the job container {} (network {}): {}",
                jc.name,
                self.settings.network,
                api_message(&e)
            )));
        }
        trace("start", &mut t);
        // The script: with a local engine, written straight into the job's home on the
        // host (bind-mounted at /home/travis; no secret in it), before the home is handed
        // to travis below; it saves the archive upload. Else uploaded after.
        let script_on_host =
            engine::local_socket().is_some() && !ship && write_script(&jc.home, &job.script);
        self.hand_home_to_travis(&jc, ship, sink).await?;
        self.hand_cache_to_travis(&jc, sink).await;
        trace("chown", &mut t);
        if !script_on_host {
            self.upload_script(job, &jc.name).await?;
            trace("upload", &mut t);
        }
        if wants_docker(job) {
            self.ship_tls_material(&jc.name).await?;
        }
        self.start_services(job, &jc.name, sink).await;
        Ok(jc)
    }

    /// The job's cache volumes (none, with a warning, when they cannot be made).
    async fn cache_binds(
        &self,
        job: &JobRun,
        sink: &dyn OutputSink,
    ) -> (Option<travis_local_script::cache::CacheKey>, Vec<String>) {
        let Some(spec) = &job.cache else {
            return (None, Vec::new());
        };
        match crate::cache::binds(&self.docker, spec).await {
            Ok(b) => (Some(spec.push.clone()), b),
            Err(e) => {
                sink.output(
                    format!("travis-local: warning: the build cache is not used: {e}\n").as_bytes(),
                );
                (None, Vec::new())
            }
        }
    }

    /// The job container, created (or taken from `prepare`: then `true`, it runs).
    async fn create_job_container(
        &self,
        job: &JobRun,
        layer: &str,
        cache: Option<travis_local_script::cache::CacheKey>,
        cache_binds: Vec<String>,
        t: &mut Instant,
    ) -> Result<(JobContainer, bool), ExecError> {
        let name = job_name(&job.run_id, &job.number);
        let docker_service = wants_docker(job) || engine::local_socket().is_none();
        let body = self.container_body(job, layer, cache_binds);
        let opts = CreateContainerOptionsBuilder::default().name(&name).build();
        remember_container(&name);
        if docker_service {
            remember_project(&name);
        }
        // The first job's container may have been started by `prepare`, while the runner
        // copied the tree.
        let pre = self
            .prestarted
            .lock()
            .ok()
            .and_then(|mut m| m.remove(&job.number));
        let ready = match pre {
            Some(handle) => handle.await.unwrap_or(false),
            None => false,
        };
        trace("prestarted container", t);
        if !ready {
            create_container(&self.docker, opts, body)
                .await
                .map_err(|e| {
                    env_err(format!(
                        "cannot create the job container from {layer}: {}",
                        api_message(&e)
                    ))
                })?;
            trace("create", t);
        }
        if docker_service {
            self.used_docker
                .store(true, std::sync::atomic::Ordering::SeqCst);
        }
        let jc = JobContainer {
            name: name.clone(),
            layer: layer.to_string(),
            home: absolute(&job.home_dir),
            build: absolute(&job.build_dir),
            compose_project: name,
            docker_service,
            cache,
            engine_host_tree: self.tree_on_engine_host(job),
        };
        Ok((jc, ready))
    }

    /// The job runs as travis (uid 2000): give it the copied (or shipped) tree.
    async fn hand_home_to_travis(
        &self,
        jc: &JobContainer,
        ship: bool,
        sink: &dyn OutputSink,
    ) -> Result<(), ExecError> {
        let home_s = jc.home.display().to_string();
        let warn = |why: &str| {
            sink.output(
                format!("travis-local: warning: cannot hand {home_s} to travis: {why}\n")
                    .as_bytes(),
            )
        };
        let (uid, _) = host_ids();
        if ship {
            let cmd = crate::remote::settle_command(&home_s);
            let cmd: Vec<&str> = cmd.iter().map(String::as_str).collect();
            let (code, out) = self.exec_capture(&jc.name, "root", &cmd).await?;
            if code != 0 {
                return Err(op_err(format!(
                    "cannot settle the shipped tree in {}: {}",
                    jc.name,
                    out.trim()
                )));
            }
        } else if uid != TRAVIS_UID && host_chown_possible() {
            if let Err(e) = chown_tree(&jc.home, TRAVIS_UID, TRAVIS_UID) {
                warn(&e.to_string());
            }
        } else if uid != TRAVIS_UID {
            let own = format!("{TRAVIS_UID}:{TRAVIS_UID}");
            let (code, out) = self
                .exec_capture(&jc.name, "root", &["chown", "-R", &own, &home_s])
                .await?;
            if code != 0 {
                warn(out.trim());
            }
        }
        Ok(())
    }

    /// A new cache volume's root belongs to root; the job (travis) writes the cache.
    async fn hand_cache_to_travis(&self, jc: &JobContainer, sink: &dyn OutputSink) {
        let Some(key) = &jc.cache else {
            return;
        };
        let own = format!("{TRAVIS_UID}:{TRAVIS_UID}");
        let push = format!("{}/push", crate::cache::MOUNT);
        if let Ok((code, out)) = self
            .exec_capture(&jc.name, "root", &["chown", &own, &push])
            .await
        {
            if code != 0 {
                sink.output(
                    format!(
                        "travis-local: warning: cannot hand the cache volume to travis: {}\n",
                        out.trim()
                    )
                    .as_bytes(),
                );
            }
        }
        travis_local_runner::cache::touch_docker(key, None);
    }

    /// `services: docker` on an engine elsewhere: the job's compose bind mounts name
    /// paths of the engine's host, so the home is bind-mounted from there (the engine
    /// makes the directories) and the shipped tree fills it.
    fn tree_on_engine_host(&self, job: &JobRun) -> bool {
        wants_docker(job) && engine::local_socket().is_none()
    }

    /// Removes the job's directories from the engine's host (see
    /// [`Self::tree_on_engine_host`]) with a throwaway container that binds the
    /// top directory of the home's path (e.g. `/tmp`): the home and the build
    /// directory go, then their ancestors below it that are left empty.
    async fn remove_engine_host_tree(&self, jc: &JobContainer) {
        let mut dirs = vec![jc.home.clone()];
        if !jc.build.starts_with(&jc.home) {
            dirs.push(jc.build.clone());
        }
        for dir in dirs {
            let mut parts = dir.components();
            parts.next(); // the root
            let Some(top) = parts.next() else {
                continue;
            };
            let rest = parts.as_path();
            if rest.as_os_str().is_empty() {
                continue;
            }
            let top = Path::new("/").join(top);
            let script = "cd /top && rm -rf -- \"$1\" && { rmdir -p --ignore-fail-on-non-empty -- \"$(dirname -- \"$1\")\" 2>/dev/null || true; }";
            let cmd = vec![
                "sh".to_string(),
                "-c".into(),
                script.into(),
                "sh".into(),
                rest.display().to_string(),
            ];
            let binds = vec![format!("{}:/top", top.display())];
            self.run_helper(&format!("{}-rmtree", jc.name), &jc.layer, cmd, binds)
                .await;
        }
    }

    /// Runs a throwaway root container (no network) to its end (bounded), removes it.
    async fn run_helper(&self, helper: &str, image: &str, cmd: Vec<String>, binds: Vec<String>) {
        self.remove_container(helper).await;
        let body = ContainerCreateBody {
            image: Some(image.to_string()),
            cmd: Some(cmd),
            entrypoint: Some(vec![]),
            user: Some("root".into()),
            labels: Some(HashMap::from([
                (LABEL_RUN.to_string(), "helper".to_string()),
                (LABEL_OWNER.to_string(), crate::owned::owner_label()),
            ])),
            host_config: Some(HostConfig {
                binds: Some(binds),
                network_mode: Some("none".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let opts = CreateContainerOptionsBuilder::default()
            .name(helper)
            .build();
        remember_container(helper);
        if self.docker.create_container(Some(opts), body).await.is_ok()
            && self.docker.start_container(helper, None).await.is_ok()
        {
            let mut wait = self.docker.wait_container(helper, None);
            let _ = tokio::time::timeout(Duration::from_secs(20), wait.next()).await;
        }
        self.remove_container(helper).await;
        forget_container(helper);
    }

    /// The script as `/home/travis/build.sh`, owned by travis, through the archive API.
    async fn upload_script(&self, job: &JobRun, name: &str) -> Result<(), ExecError> {
        let mut tar = tar::Builder::new(Vec::new());
        let archive = append_travis_file(&mut tar, "build.sh", job.script.as_bytes(), 0o755)
            .and_then(|_| tar.into_inner())
            .map_err(|e| op_err(format!("cannot pack the job script: {e}")))?;
        self.upload(name, "/home/travis", archive, || {
            format!("cannot upload the job script into {name}")
        })
        .await
    }

    /// Services other than docker are started by the compiled script (the script is
    /// the single truth of what a job does); docker is the engine socket mounted at
    /// container creation.
    async fn start_services(&self, job: &JobRun, _name: &str, sink: &dyn OutputSink) {
        if wants_docker(job) && engine::local_socket().is_none() {
            sink.output(b"travis-local: services: docker uses DOCKER_HOST from the host\n");
        }
    }

    /// Uploads the job's home (with the tree) into the created container at its own
    /// path (see [`crate::remote`]); a build directory outside the home goes too.
    async fn ship_tree(&self, name: &str, home: &Path, build: &Path) -> Result<(), ExecError> {
        let mut dirs = vec![home];
        if !build.starts_with(home) {
            dirs.push(build);
        }
        for dir in dirs {
            let archive = crate::remote::tree_archive(dir)
                .map_err(|e| op_err(format!("cannot pack the job's tree: {e}")))?;
            self.upload(name, "/", archive, || {
                format!(
                    "cannot ship the job's tree into {name} on {}",
                    engine::docker_host()
                )
            })
            .await?;
        }
        Ok(())
    }

    /// Extracts a tar archive at `dest` in the container `name`; `what` says what
    /// failed.
    async fn upload(
        &self,
        name: &str,
        dest: &str,
        archive: Vec<u8>,
        what: impl FnOnce() -> String,
    ) -> Result<(), ExecError> {
        let opts = UploadToContainerOptionsBuilder::default()
            .path(dest)
            .build();
        self.docker
            .upload_to_container(name, Some(opts), bollard::body_full(archive.into()))
            .await
            .map_err(|e| op_err(format!("{}: {}", what(), api_message(&e))))
    }

    fn exec_env(&self, job: &JobRun, jc: &JobContainer) -> Vec<String> {
        let mut env = base_env(&jc.compose_project);
        if jc.cache.is_some() {
            env.push(format!("TRAVIS_LOCAL_CACHE_DIR={}", crate::cache::MOUNT));
        }
        let host = engine::docker_host();
        if !host.starts_with("unix://") {
            env.push(format!("DOCKER_HOST={host}"));
        }
        if wants_docker(job) && tls_material().is_some() {
            env.push("DOCKER_TLS_VERIFY=1".into());
            env.push(format!("DOCKER_CERT_PATH={JOB_CERT_DIR}"));
        }
        env.extend(job.env.iter().map(|(k, v)| format!("{k}={v}")));
        env
    }

    /// `services: docker` on a TLS engine: the CA, client certificate and key that
    /// travis-local uses go into the job container at [`JOB_CERT_DIR`] (its own
    /// filesystem, not the shipped home; owned by travis, mode 0400), so the job's
    /// `docker` reaches the engine as the docker CLI would.
    async fn ship_tls_material(&self, name: &str) -> Result<(), ExecError> {
        let Some(dir) = tls_material() else {
            return Ok(());
        };
        let mut tar = tar::Builder::new(Vec::new());
        for file in ["ca.pem", "cert.pem", "key.pem"] {
            let Ok(data) = std::fs::read(dir.join(file)) else {
                continue;
            };
            let path = format!("{}/{file}", JOB_CERT_DIR.trim_start_matches('/'));
            append_travis_file(&mut tar, &path, &data, 0o400)
                .map_err(|e| op_err(format!("cannot pack the TLS material: {e}")))?;
        }
        let archive = tar
            .into_inner()
            .map_err(|e| op_err(format!("cannot pack the TLS material: {e}")))?;
        self.upload(name, "/", archive, || {
            format!("cannot give {name} the engine's TLS material")
        })
        .await
    }

    /// Runs the script; returns how it ended.
    async fn run_script(
        &self,
        job: &JobRun,
        jc: &JobContainer,
        sink: &dyn OutputSink,
        cancel: &CancelToken,
    ) -> Result<JobEnd, ExecError> {
        let (exec_id, output, _input) = self.start_script(job, jc).await?;
        if self.stream_script(jc, &exec_id, output, sink, cancel).await {
            // The first reason recorded wins, except that Forced overrides (token rules).
            let reason = cancel.reason().unwrap_or(CancelReason::Canceled);
            return Ok(JobEnd::Cancelled(reason));
        }
        self.script_end(jc, &exec_id, cancel).await
    }

    /// The script's exec, created and started as travis with a TTY.
    async fn start_script(
        &self,
        job: &JobRun,
        jc: &JobContainer,
    ) -> Result<(String, ExecOutput, ExecInput), ExecError> {
        let config = ExecConfig {
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            tty: Some(true),
            user: Some("travis".into()),
            working_dir: Some(jc.build.display().to_string()),
            env: Some(self.exec_env(job, jc)),
            // No CR before LF on the TTY: output bytes as the host executor gives them.
            cmd: Some(vec![
                "bash".into(),
                "-c".into(),
                "stty -onlcr 2>/dev/null; exec bash /home/travis/build.sh".into(),
            ]),
            ..Default::default()
        };
        let failed = |e: bollard::errors::Error| {
            op_err(format!(
                "cannot start the job in {}: {}",
                jc.name,
                api_message(&e)
            ))
        };
        let exec_id = self
            .docker
            .create_exec(&jc.name, config)
            .await
            .map_err(failed)?
            .id;
        let opts = StartExecOptions {
            tty: true,
            ..Default::default()
        };
        match self
            .docker
            .start_exec(&exec_id, Some(opts))
            .await
            .map_err(failed)?
        {
            StartExecResults::Attached { output, input } => Ok((exec_id, output, input)),
            StartExecResults::Detached => {
                Err(op_err("the engine detached the job's exec".to_string()))
            }
        }
    }

    /// Streams the script's output into the sink until it ends (or, cancelled, until
    /// it was terminated and killed); true when cancelled.
    async fn stream_script(
        &self,
        jc: &JobContainer,
        exec_id: &str,
        mut output: ExecOutput,
        sink: &dyn OutputSink,
        cancel: &CancelToken,
    ) -> bool {
        let mut tick = tokio::time::interval(TICK);
        let mut ticks: u64 = 0;
        let mut cancelled: Option<(CancelReason, Instant)> = None;
        let mut killed = false;
        let mut exited_at: Option<Instant> = None;
        loop {
            tokio::select! {
                item = output.next() => match item {
                    Some(Ok(chunk)) => sink.output(&chunk.into_bytes()),
                    Some(Err(_)) | None => break,
                },
                _ = tick.tick() => {
                    ticks += 1;
                    if let Some(reason) = cancel.reason() {
                        match cancelled {
                            None => {
                                cancelled = Some((reason, Instant::now()));
                                if reason == CancelReason::Forced {
                                    self.kill(&jc.name).await;
                                    killed = true;
                                } else {
                                    self.terminate(&jc.name).await;
                                }
                            }
                            Some((_, at)) => {
                                if !killed && (reason == CancelReason::Forced || at.elapsed() > GRACE) {
                                    self.kill(&jc.name).await;
                                    killed = true;
                                }
                                if at.elapsed() > GRACE + Duration::from_secs(3) {
                                    break;
                                }
                            }
                        }
                    }
                    // Background processes may keep the TTY open after bash ended.
                    if ticks % 10 == 0 {
                        if let Some(at) = exited_at {
                            if at.elapsed() > Duration::from_secs(2) {
                                break;
                            }
                        } else if let Ok(info) = self.docker.inspect_exec(exec_id).await {
                            if info.running == Some(false) {
                                exited_at = Some(Instant::now());
                            }
                        }
                    }
                }
            }
        }
        cancelled.is_some()
    }

    /// How the script ended, once its output ended.
    async fn script_end(
        &self,
        jc: &JobContainer,
        exec_id: &str,
        cancel: &CancelToken,
    ) -> Result<JobEnd, ExecError> {
        let code = self.exec_exit_code(exec_id).await;
        // An ordinary exit status: the script ended by itself, the container was up (a
        // `docker kill` shows as a signal status, >= 128). Saves a round trip per job.
        if let Some(c) = code.filter(|c| (0..128).contains(c)) {
            if cancel.reason().is_none() {
                return Ok(JobEnd::Exited(i32::try_from(c).unwrap_or(255)));
            }
        }
        let (mut running, mut why) = self.container_running(&jc.name).await;
        // A `docker kill` shows first as a signal exit of the exec; let the state settle.
        let mut polls = 0;
        while running && code.is_none_or(|c| c >= 128) && polls < 10 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            (running, why) = self.container_running(&jc.name).await;
            polls += 1;
        }
        if !running {
            if let Some(reason) = cancel.reason() {
                return Ok(JobEnd::Cancelled(reason));
            }
            return Ok(JobEnd::Killed(format!(
                "the job container {} stopped from outside ({why})",
                jc.name
            )));
        }
        match code {
            Some(c) => Ok(JobEnd::Exited(i32::try_from(c).unwrap_or(255))),
            None => Ok(JobEnd::Killed(format!(
                "the job's exit status in {} is unknown",
                jc.name
            ))),
        }
    }

    /// `--debug`: a shell in the job's container (see [`crate::debug`]). Returns how the
    /// session ended: the shell's exit status, or the cancellation that ended the wait.
    async fn debug_session(
        &self,
        job: &JobRun,
        jc: &JobContainer,
        sink: &dyn OutputSink,
        cancel: &CancelToken,
        why: &str,
    ) -> Result<JobEnd, ExecError> {
        use crate::debug::{attach_command, rc_text, ENV_FILE, RC_NAME};
        use std::io::IsTerminal;
        // One session at a time (-j N).
        static SESSION: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
        let _turn = SESSION.lock().await;
        let rc = rc_text(&job.script, &job.number)
            .ok_or_else(|| op_err("--debug: the job script has no phase calls to stop before"))?;
        std::fs::write(jc.home.join(RC_NAME), rc).map_err(|e| {
            env_err(format!(
                "--debug: cannot write {}: {e}",
                jc.home.join(RC_NAME).display()
            ))
        })?;
        // The job's environment (secrets included) into the container's tmpfs.
        let config = ExecConfig {
            user: Some("travis".into()),
            env: Some(self.exec_env(job, jc)),
            cmd: Some(vec![
                "bash".into(),
                "-c".into(),
                format!("umask 077; export -p > {ENV_FILE}"),
            ]),
            ..Default::default()
        };
        let exec = self
            .docker
            .create_exec(&jc.name, config)
            .await
            .map_err(|e| op_err(format!("--debug: {}", api_message(&e))))?;
        if let Ok(StartExecResults::Attached { mut output, .. }) =
            self.docker.start_exec(&exec.id, None).await
        {
            while output.next().await.is_some() {}
        }
        let attach = attach_command(&jc.name, &jc.build);
        let tty = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
        // The session is not silence: keep the log-silence clock from expiring.
        let ends = |r: Option<CancelReason>| {
            matches!(
                r,
                Some(CancelReason::Interrupted | CancelReason::Forced | CancelReason::JobTimeout)
            )
        };
        if tty {
            eprintln!(
                "travis-local: job {} {why}; debug shell in {} (leave with exit; the container is then removed)",
                job.number, jc.name
            );
            let build = jc.build.display().to_string();
            let rc = format!("/home/travis/{RC_NAME}");
            let mut child = tokio::process::Command::new("docker")
                .args(["exec", "-it", "-u", "travis", "-w", &build, &jc.name])
                .args(["bash", "--rcfile", &rc, "-i"])
                .kill_on_drop(true)
                .spawn()
                .map_err(|e| env_err(format!("--debug: cannot run docker: {e}")))?;
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tokio::select! {
                    status = child.wait() => {
                        let code = status.ok().and_then(|s| s.code()).unwrap_or(0);
                        return Ok(JobEnd::Exited(code));
                    }
                    _ = tick.tick() => {
                        sink.output(b"");
                        if let Some(r) = cancel.reason().filter(|r| ends(Some(*r))) {
                            let _ = child.kill().await;
                            return Ok(JobEnd::Cancelled(r));
                        }
                    }
                }
            }
        }
        eprintln!(
            "travis-local: job {} {why}; debug mode keeps its container until you press Ctrl-C. Attach a shell with:\n  {attach}\nthen re-run a phase, e.g. travis_run_script",
            job.number
        );
        loop {
            tokio::time::sleep(Duration::from_millis(250)).await;
            sink.output(b"");
            if let Some(r) = cancel.reason().filter(|r| ends(Some(*r))) {
                return Ok(JobEnd::Cancelled(r));
            }
            if !self.container_running(&jc.name).await.0 {
                return Ok(JobEnd::Killed(format!(
                    "the job container {} was stopped during the debug session",
                    jc.name
                )));
            }
        }
    }

    /// SIGTERM to every process of the job (everything but the container's init).
    async fn terminate(&self, name: &str) {
        let config = ExecConfig {
            user: Some("root".into()),
            cmd: Some(vec![
                "sh".into(),
                "-c".into(),
                "kill -TERM -1 2>/dev/null; true".into(),
            ]),
            ..Default::default()
        };
        if let Ok(created) = self.docker.create_exec(name, config).await {
            let _ = self
                .docker
                .start_exec(
                    &created.id,
                    Some(StartExecOptions {
                        detach: true,
                        ..Default::default()
                    }),
                )
                .await;
        }
    }

    async fn kill(&self, name: &str) {
        let opts = KillContainerOptionsBuilder::default()
            .signal("SIGKILL")
            .build();
        let _ = self.docker.kill_container(name, Some(opts)).await;
    }

    /// Gives the tree back to the host user (the job ran as uid 2000).
    async fn restore_ownership(&self, jc: &JobContainer) {
        let (uid, gid) = host_ids();
        if uid == TRAVIS_UID || engine::local_socket().is_none() {
            return;
        }
        if host_chown_possible() {
            let _ = chown_tree(&jc.home, uid, gid);
            return;
        }
        let owner = format!("{uid}:{gid}");
        let home = jc.home.display().to_string();
        let (running, _) = self.container_running(&jc.name).await;
        if running {
            let _ = self
                .exec_capture(&jc.name, "root", &["chown", "-R", &owner, &home])
                .await;
            return;
        }
        // The container is gone (killed): a throwaway one does it.
        let cmd = vec!["chown".into(), "-R".into(), owner, home.clone()];
        let binds = vec![format!("{home}:{home}")];
        self.run_helper(&format!("{}-chown", jc.name), &jc.layer, cmd, binds)
            .await;
    }

    async fn finish(&self, jc: &JobContainer, end: Option<&JobEnd>) {
        let keep = self.settings.keep_on_failure
            && matches!(end, Some(JobEnd::Exited(code)) if *code != 0);
        if keep {
            if let Ok(mut kept) = self.kept.lock() {
                kept.insert(jc.name.clone());
            }
            eprintln!(
                "travis-local: kept container {name} (--keep-on-failure); open a shell in it with:\n  docker exec -it -u travis -w {dir} {name} bash\n  (the build directory is bind-mounted from the host: run with --keep as well so it outlives travis-local;\n   remove the container with: docker rm -f {name}, or travis-local clean)",
                name = jc.name,
                dir = jc.build.display()
            );
            return;
        }
        let mut t = Instant::now();
        if let Some(key) = &jc.cache {
            // The size of the last store, from its marker (`<time> <KiB>`).
            let marker = format!("{}/push/.travis-local-cache", crate::cache::MOUNT);
            let size = match self.exec_capture(&jc.name, "root", &["cat", &marker]).await {
                Ok((0, text)) => text
                    .split_whitespace()
                    .nth(1)
                    .and_then(|k| k.parse::<u64>().ok())
                    .map(|k| k * 1024),
                _ => None,
            };
            travis_local_runner::cache::touch_docker(key, size);
            trace("cache record", &mut t);
        }
        if jc.docker_service {
            crate::owned::remove_compose_project(&self.docker, &jc.compose_project).await;
            forget_project(&jc.compose_project);
            trace("compose cleanup", &mut t);
        }
        self.restore_ownership(jc).await;
        trace("restore ownership", &mut t);
        self.remove_container(&jc.name).await;
        forget_container(&jc.name);
        trace("remove", &mut t);
        if jc.engine_host_tree {
            self.remove_engine_host_tree(jc).await;
            trace("remove the tree on the engine's host", &mut t);
        }
    }

    async fn run_async(
        &self,
        job: &JobRun,
        sink: &dyn OutputSink,
        cancel: &CancelToken,
    ) -> Result<JobEnd, ExecError> {
        let layer = match self.job_layer(job, cancel).await? {
            Ok(layer) => layer,
            Err(reason) => return Ok(JobEnd::Cancelled(reason)),
        };
        let jc = match self.start(job, &layer, sink).await {
            Ok(jc) => jc,
            Err(e) => {
                // Whatever was created before the failure goes too.
                let name = job_name(&job.run_id, &job.number);
                self.remove_container(&name).await;
                forget_container(&name);
                forget_project(&name);
                return Err(e);
            }
        };
        let mut t = Instant::now();
        let result = match self.settings.debug {
            Some(crate::debug::DebugMode::Start) => {
                self.debug_session(job, &jc, sink, cancel, "started in debug mode")
                    .await
            }
            mode => {
                let result = self.run_script(job, &jc, sink, cancel).await;
                if let (Some(_), Ok(JobEnd::Exited(code))) = (mode, &result) {
                    if *code != 0 {
                        let why = format!("failed (exit {code})");
                        if let Err(e) = self.debug_session(job, &jc, sink, cancel, &why).await {
                            eprintln!("travis-local: {}", e.message);
                        }
                    }
                }
                result
            }
        };
        trace("script", &mut t);
        // Cleanup must finish even when the job was cancelled; bounded so Ctrl-C stays prompt.
        let _ = tokio::time::timeout(
            Duration::from_secs(8),
            self.finish(&jc, result.as_ref().ok()),
        )
        .await;
        result
    }

    /// Begins creating and starting a job's container in the background, so that it
    /// overlaps the runner's copy of the working tree (the build directory is made
    /// first, by us, so that it belongs to the user and not to the engine).
    /// A job with a build cache is not prestarted: its volumes are created in `start`.
    async fn prestart(&self, job: &JobRun) {
        if self.settings.debug == Some(crate::debug::DebugMode::Start)
            || job.cache.is_some()
            || crate::remote::must_ship(self.settings.ship_tree)
            || std::fs::create_dir_all(&job.build_dir).is_err()
        {
            return;
        }
        let Ok(layer) = self.layer_for(job, &Progress::new("docker")).await else {
            return;
        };
        let name = job_name(&job.run_id, &job.number);
        let body = self.container_body(job, &layer, Vec::new());
        let opts = CreateContainerOptionsBuilder::default().name(&name).build();
        remember_container(&name);
        let docker = self.docker.clone();
        let handle = self.rt.spawn(async move {
            create_container(&docker, opts, body).await.is_ok()
                && docker.start_container(&name, None).await.is_ok()
        });
        if let Ok(mut m) = self.prestarted.lock() {
            m.insert(job.number.clone(), handle);
        }
    }

    async fn cleanup_async(&self, run_id: &str) -> Result<(), ExecError> {
        // A container still being started for a job that never ran: let it finish, so
        // that the sweep below finds it.
        let pending: Vec<_> = self
            .prestarted
            .lock()
            .map(|mut m| m.drain().map(|(_, h)| h).collect())
            .unwrap_or_default();
        for handle in pending {
            let _ = handle.await;
        }
        let kept: HashSet<String> = self.kept.lock().map(|k| k.clone()).unwrap_or_default();
        let filter = HashMap::from([("label".to_string(), vec![format!("{LABEL_RUN}={run_id}")])]);
        let list = self
            .docker
            .list_containers(Some(
                ListContainersOptionsBuilder::default()
                    .all(true)
                    .filters(&filter)
                    .build(),
            ))
            .await
            .map_err(|e| env_err(format!("cannot list containers: {}", api_message(&e))))?;
        for c in list {
            let names: Vec<String> = c
                .names
                .unwrap_or_default()
                .iter()
                .map(|n| n.trim_start_matches('/').to_string())
                .collect();
            if names.iter().any(|n| kept.contains(n)) {
                continue;
            }
            if let Some(id) = c.id {
                self.remove_container(&id).await;
            }
        }
        let prefix = format!("{NAME_PREFIX}{}-", sanitize(run_id));
        if !self.used_docker.load(std::sync::atomic::Ordering::SeqCst) {
            return Ok(());
        }
        for project in crate::owned::compose_projects(&self.docker).await {
            if project.starts_with(&prefix) && !kept.contains(&project) {
                crate::owned::remove_compose_project(&self.docker, &project).await;
            }
        }
        Ok(())
    }
}

impl Executor for DockerExecutor {
    fn name(&self) -> &str {
        "docker"
    }

    fn prepare(&self, jobs: &[JobRun], _sink: &dyn OutputSink) -> Result<(), ExecError> {
        self.rt.block_on(async {
            let mut t = Instant::now();
            let progress = Progress::new("docker");
            for job in jobs {
                self.layer_for(job, &progress).await?;
            }
            trace("prepare", &mut t);
            if let Some(first) = jobs.first() {
                self.prestart(first).await;
            }
            Ok(())
        })
    }

    fn run(
        &self,
        job: &JobRun,
        sink: &dyn OutputSink,
        cancel: &CancelToken,
    ) -> Result<JobEnd, ExecError> {
        self.rt.block_on(self.run_async(job, sink, cancel))
    }

    fn cleanup(&self, run_id: &str) -> Result<(), ExecError> {
        let mut t = Instant::now();
        let limit = Duration::from_secs(10);
        let r = engine::bounded_cleanup(&self.rt, "Docker resources", limit, async {
            self.cleanup_async(run_id).await
        });
        trace("cleanup", &mut t);
        r
    }
}

/// Appends a regular file owned by travis (uid and gid [`TRAVIS_UID`]) with `mode` and
/// a fixed mtime, as the job's files are uploaded through the archive API.
fn append_travis_file(
    tar: &mut tar::Builder<Vec<u8>>,
    path: &str,
    data: &[u8],
    mode: u32,
) -> std::io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(mode);
    header.set_uid(TRAVIS_UID.into());
    header.set_gid(TRAVIS_UID.into());
    header.set_mtime(0);
    header.set_cksum();
    tar.append_data(&mut header, path, data)
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(sanitize("Run_42.x"), "run-42-x");
        assert_eq!(sanitize("..."), "x");
        assert_eq!(
            job_name("20260101-ab", "1.2"),
            "travis-local-20260101-ab-1-2"
        );
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_memory("512m"), Ok(512 * 1024 * 1024));
        assert_eq!(parse_memory("2G"), Ok(2 * 1024 * 1024 * 1024));
        assert_eq!(parse_memory("1.5gb"), Ok(1536 * 1024 * 1024));
        assert!(parse_memory("lots").is_err());
        assert!(parse_memory("1k").is_err());
        assert_eq!(parse_cpus(1.5), Ok(1_500_000_000));
        assert!(parse_cpus(0.0).is_err());
        assert!(parse_cpus(f64::NAN).is_err());
    }
}
