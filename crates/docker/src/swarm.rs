//! `run --executor swarm`: each job runs as a Swarm job (`replicated-job` service, API
//! 1.41+, one completion, no restart) on the swarm the engine belongs to (the engine
//! must be a manager). Swarm places it (constraints from `.travis-local/config.yml`
//! `placement:`, `--cpus`/`--memory` as reservations and limits), starts it, and
//! reports its end; travis-local still compiles the script, builds the Travis layer on
//! the manager, ships the tree, streams and masks the output, decides the results and
//! removes what it created.
//!
//! Per job it creates, all labelled `travis-local.run=<run id>` and recorded in the run's
//! state file for `travis-local clean`:
//! - configs `<job name>-tree-NNNN`: the job's home (tree and `build.sh`) as a tar
//!   archive, in chunks below Swarm's config size limit, mounted under
//!   `/run/travis-local/` and unpacked by the task before the script starts;
//! - a secret `<job name>-env`: the job's environment (secret values included) as
//!   `export NAME='value'` lines, mounted only into that job's task at
//!   `/run/secrets/travis-local-env` (uid 2000, mode 0400), so no value appears in the
//!   service spec, its labels or its environment (`docker service inspect`);
//! - the service `<job name>`.
//!
//! Output comes from the service logs (stdout and stderr, no TTY), to the runner's sink
//! (which masks it). The task's final state decides: complete → exit 0; failed with the
//! script's exit code (below 128) → that code; anything else (killed, node down,
//! rejected, orphaned) → errored, with the reason. Cancelling removes the service (the
//! task gets SIGTERM, SIGKILL after 3 s) and waits until its container is gone.

use crate::engine::{api_message, env_err, is_not_found, op_err};
use crate::executor::{DockerExecutor, Settings, TRAVIS_UID};
use crate::owned::{job_name, owner_label, LABEL_JOB, LABEL_OWNER, LABEL_RUN};
use crate::progress::Progress;
use bollard::models::{
    ConfigSpec, Limit, NetworkAttachmentConfig, NodeState, ResourceObject, SecretSpec, ServiceSpec,
    ServiceSpecMode, ServiceSpecModeReplicatedJob, TaskSpec, TaskSpecContainerSpec,
    TaskSpecContainerSpecConfigs, TaskSpecContainerSpecFile, TaskSpecContainerSpecFile1,
    TaskSpecContainerSpecSecrets, TaskSpecPlacement, TaskSpecResources, TaskSpecRestartPolicy,
    TaskSpecRestartPolicyConditionEnum, TaskState,
};
use bollard::query_parameters::{
    ListConfigsOptionsBuilder, ListContainersOptionsBuilder, ListSecretsOptionsBuilder,
    ListServicesOptionsBuilder, ListTasksOptionsBuilder, LogsOptionsBuilder,
};
use bollard::Docker;
use futures_util::StreamExt;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use travis_local_runner::executor::{CancelToken, ExecError, Executor, JobEnd, JobRun, OutputSink};

/// Below Swarm's config size limit (500 KB on 20.10).
const CHUNK: usize = 400 * 1000;
/// Where the tree chunks are mounted in the task.
const TREE_DIR: &str = "/run/travis-local";
/// The environment secret's file name under /run/secrets.
const ENV_SECRET: &str = "travis-local-env";
/// A task still pending for this long with a scheduling error is reported as errored.
const PENDING_LIMIT: Duration = Duration::from_secs(60);

pub struct SwarmExecutor {
    inner: DockerExecutor,
    /// Placement constraints (`.travis-local/config.yml` `placement:`).
    constraints: Vec<String>,
}

/// `'…'` quoting for POSIX shells.
fn sq(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\\''"))
}

/// Standard base64 (Swarm configs and secrets carry base64 data).
pub fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The environment file the task sources (secret values included: it only ever
/// travels as a Swarm secret).
pub fn env_file(env: &[(String, String)]) -> String {
    // Swarm refuses an empty secret: the first line is a comment.
    let head = "# the job's environment (travis-local)\n".to_string();
    head + &env
        .iter()
        .filter(|(k, _)| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .map(|(k, v)| format!("export {k}={}\n", sq(v)))
        .collect::<String>()
}

/// The task's command, run as root: unpack the shipped home, make it `/home/travis`,
/// then run the script as travis with the job's environment.
pub fn boot_command(home: &str) -> Vec<String> {
    let boot = format!(
        "set -e\n\
         cat {TREE_DIR}/tree.* | tar -x -p -C / || {{ echo 'travis-local: cannot unpack the shipped tree' >&2; exit 2; }}\n\
         rm -rf /home/travis && ln -s \"$1\" /home/travis\n\
         exec runuser -u travis -- bash -c 'set -a; . /run/secrets/{ENV_SECRET}; set +a; exec bash /home/travis/build.sh'\n"
    );
    vec!["sh".into(), "-c".into(), boot, "sh".into(), home.into()]
}

fn labels(job: &JobRun) -> HashMap<String, String> {
    HashMap::from([
        (LABEL_RUN.to_string(), job.run_id.clone()),
        (LABEL_JOB.to_string(), job.number.clone()),
        (LABEL_OWNER.to_string(), owner_label()),
    ])
}

fn remember(kind: &str, name: &str) {
    let entry = format!("{kind}:{name}");
    travis_local_runner::state::update(|s| {
        if !s.swarm_objects.contains(&entry) {
            s.swarm_objects.push(entry);
        }
    });
}

fn forget(kind: &str, name: &str) {
    let entry = format!("{kind}:{name}");
    travis_local_runner::state::update(|s| s.swarm_objects.retain(|e| e != &entry));
}

/// Removes a recorded swarm object (`service:NAME`, …); Ok when it is gone.
pub async fn remove_object(docker: &Docker, entry: &str) -> Result<(), String> {
    let (kind, name) = entry.split_once(':').unwrap_or(("", entry));
    let r = match kind {
        "service" => {
            let r = docker.delete_service(name).await;
            wait_containers_gone(docker, name, Duration::from_secs(10)).await;
            r
        }
        "secret" => docker.delete_secret(name).await,
        "config" => docker.delete_config(name).await,
        _ => return Err(format!("unknown swarm object {entry:?}")),
    };
    match r {
        Ok(()) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(format!("{entry}: {}", api_message(&e))),
    }
}

/// Waits until no container of the service exists on this engine (bounded). The
/// swarm agent removes a deleted service's task containers lazily; the ones on the
/// engine we talk to (the manager) are removed here at once, the others are left to
/// their nodes' agents.
async fn wait_containers_gone(docker: &Docker, service: &str, limit: Duration) {
    let filter = HashMap::from([(
        "label".to_string(),
        vec![format!("com.docker.swarm.service.name={service}")],
    )]);
    let start = Instant::now();
    while start.elapsed() < limit {
        let opts = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&filter)
            .build();
        match docker.list_containers(Some(opts)).await {
            Ok(list) if !list.is_empty() => {
                for c in list {
                    if let Some(id) = c.id {
                        let opts =
                            bollard::query_parameters::RemoveContainerOptionsBuilder::default()
                                .force(true)
                                .v(true)
                                .build();
                        let _ = docker.remove_container(&id, Some(opts)).await;
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            _ => return,
        }
    }
}

/// Everything created for one job.
struct Created {
    service: String,
    secret: String,
    configs: Vec<String>,
}

impl SwarmExecutor {
    pub fn connect(settings: Settings, constraints: Vec<String>) -> Result<Self, ExecError> {
        let inner = DockerExecutor::connect(settings)?;
        Ok(Self { inner, constraints })
    }

    fn docker(&self) -> &Docker {
        &self.inner.docker
    }

    fn settings(&self) -> &Settings {
        self.inner.settings()
    }

    /// The engine must be a reachable swarm manager speaking API 1.41 or later.
    async fn check_manager(&self) -> Result<(), ExecError> {
        let info = self
            .docker()
            .info()
            .await
            .map_err(|e| env_err(format!("cannot query the engine: {}", api_message(&e))))?;
        let swarm = info.swarm.unwrap_or_default();
        if swarm.control_available != Some(true) {
            return Err(env_err(format!(
                "--executor swarm: the engine at {} is not a swarm manager (swarm state {}); run `docker swarm init`, or point DOCKER_HOST/DOCKER_CONTEXT at a manager",
                crate::engine::docker_host(),
                swarm
                    .local_node_state
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "unknown".into())
            )));
        }
        let version = self.docker().client_version();
        let (major, minor) = (version.major_version, version.minor_version);
        if (major, minor) < (1, 41) {
            return Err(env_err(format!(
                "--executor swarm needs Engine API 1.41 or later (swarm jobs); the engine speaks {major}.{minor}"
            )));
        }
        Ok(())
    }

    async fn create(&self, job: &JobRun, layer: &str) -> Result<Created, ExecError> {
        let name = job_name(&job.run_id, &job.number);
        let home = absolute(&job.home_dir);
        let mut archive = crate::remote::tree_archive(&home)
            .map_err(|e| op_err(format!("cannot pack the job's tree: {e}")))?;
        append_script(&mut archive, &home, &job.script)?;
        let labels = labels(job);
        let docker = self.docker();
        let mut created = Created {
            service: name.clone(),
            secret: format!("{name}-env"),
            configs: Vec::new(),
        };
        // A leftover of a crashed run with the same id would block the names.
        let _ = remove_object(docker, &format!("service:{name}")).await;
        let configs = self
            .create_tree_configs(&name, &archive, &labels, &mut created)
            .await?;
        let secret = self.create_env_secret(job, &labels, &created).await?;
        let spec = self.service_spec(
            &name,
            layer,
            &home.display().to_string(),
            labels,
            configs,
            secret,
        );
        remember("service", &name);
        docker.create_service(spec, None).await.map_err(|e| {
            env_err(format!(
                "cannot create the swarm service {name} from {layer}: {}",
                api_message(&e)
            ))
        })?;
        Ok(created)
    }

    /// The home's archive as configs of at most [`CHUNK`] bytes, and their mounts.
    async fn create_tree_configs(
        &self,
        name: &str,
        archive: &[u8],
        labels: &HashMap<String, String>,
        created: &mut Created,
    ) -> Result<Vec<TaskSpecContainerSpecConfigs>, ExecError> {
        let docker = self.docker();
        let mut configs = Vec::new();
        for (i, chunk) in archive.chunks(CHUNK).enumerate() {
            let cname = format!("{name}-tree-{i:04}");
            let _ = docker.delete_config(&cname).await;
            remember("config", &cname);
            let id = docker
                .create_config(ConfigSpec {
                    name: Some(cname.clone()),
                    labels: Some(labels.clone()),
                    data: Some(base64(chunk)),
                    ..Default::default()
                })
                .await
                .map_err(|e| {
                    op_err(format!(
                        "cannot create swarm config {cname}: {}",
                        api_message(&e)
                    ))
                })?
                .id;
            created.configs.push(cname.clone());
            configs.push(TaskSpecContainerSpecConfigs {
                file: Some(TaskSpecContainerSpecFile1 {
                    name: Some(format!("{TREE_DIR}/tree.{i:04}")),
                    uid: Some("0".into()),
                    gid: Some("0".into()),
                    mode: Some(0o400),
                }),
                config_id: Some(id),
                config_name: Some(cname),
                ..Default::default()
            });
        }
        Ok(configs)
    }

    /// The job's environment as its secret; returns the secret's mount.
    async fn create_env_secret(
        &self,
        job: &JobRun,
        labels: &HashMap<String, String>,
        created: &Created,
    ) -> Result<TaskSpecContainerSpecSecrets, ExecError> {
        let docker = self.docker();
        let _ = docker.delete_secret(&created.secret).await;
        remember("secret", &created.secret);
        let secret_id = docker
            .create_secret(SecretSpec {
                name: Some(created.secret.clone()),
                labels: Some(labels.clone()),
                data: Some(base64(env_file(&job.env).as_bytes())),
                ..Default::default()
            })
            .await
            .map_err(|e| {
                op_err(format!(
                    "cannot create the job's swarm secret: {}",
                    api_message(&e)
                ))
            })?
            .id;
        Ok(TaskSpecContainerSpecSecrets {
            file: Some(TaskSpecContainerSpecFile {
                name: Some(ENV_SECRET.into()),
                uid: Some(TRAVIS_UID.to_string()),
                gid: Some(TRAVIS_UID.to_string()),
                mode: Some(0o400),
            }),
            secret_id: Some(secret_id),
            secret_name: Some(created.secret.clone()),
        })
    }

    /// `--cpus` / `--memory` as both reservations (placement) and limits.
    fn resources(&self) -> Option<TaskSpecResources> {
        let s = self.settings();
        (s.nano_cpus.is_some() || s.memory.is_some()).then(|| TaskSpecResources {
            limits: Some(Limit {
                nano_cpus: s.nano_cpus,
                memory_bytes: s.memory,
                ..Default::default()
            }),
            reservations: Some(ResourceObject {
                nano_cpus: s.nano_cpus,
                memory_bytes: s.memory,
                ..Default::default()
            }),
            ..Default::default()
        })
    }

    /// The job's service: one task, no restart, the boot command as root.
    fn service_spec(
        &self,
        name: &str,
        layer: &str,
        home: &str,
        labels: HashMap<String, String>,
        configs: Vec<TaskSpecContainerSpecConfigs>,
        secret: TaskSpecContainerSpecSecrets,
    ) -> ServiceSpec {
        let s = self.settings();
        // `bridge` (the Docker executor's default) is not a swarm network: tasks then
        // get the node's default; `host`, `none` or an overlay network are attached.
        let networks = (s.network != "bridge").then(|| {
            vec![NetworkAttachmentConfig {
                target: Some(s.network.clone()),
                ..Default::default()
            }]
        });
        let env = crate::executor::base_env(name);
        ServiceSpec {
            name: Some(name.to_string()),
            labels: Some(labels.clone()),
            mode: Some(ServiceSpecMode {
                replicated_job: Some(ServiceSpecModeReplicatedJob {
                    max_concurrent: Some(1),
                    total_completions: Some(1),
                }),
                ..Default::default()
            }),
            task_template: Some(TaskSpec {
                container_spec: Some(TaskSpecContainerSpec {
                    image: Some(layer.to_string()),
                    labels: Some(labels),
                    command: Some(boot_command(home)),
                    hostname: Some("travis-job".into()),
                    env: Some(env),
                    dir: Some("/".into()),
                    user: Some("root".into()),
                    init: Some(true),
                    stop_grace_period: Some(3_000_000_000),
                    configs: Some(configs),
                    secrets: Some(vec![secret]),
                    ..Default::default()
                }),
                resources: self.resources(),
                restart_policy: Some(TaskSpecRestartPolicy {
                    condition: Some(TaskSpecRestartPolicyConditionEnum::NONE),
                    max_attempts: Some(0),
                    ..Default::default()
                }),
                placement: (!self.constraints.is_empty()).then(|| TaskSpecPlacement {
                    constraints: Some(self.constraints.clone()),
                    ..Default::default()
                }),
                networks,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    /// The service's task, if the orchestrator created it yet.
    async fn task(&self, service: &str) -> Option<bollard::models::Task> {
        let filter = HashMap::from([("service".to_string(), vec![service.to_string()])]);
        let opts = ListTasksOptionsBuilder::default().filters(&filter).build();
        let mut tasks = self.docker().list_tasks(Some(opts)).await.ok()?;
        tasks.sort_by_key(|t| t.created_at.clone().map(|d| d.to_string()));
        tasks.pop()
    }

    async fn node_name(&self, node_id: &str) -> String {
        match self.docker().inspect_node(node_id).await {
            Ok(n) => n
                .description
                .and_then(|d| d.hostname)
                .unwrap_or_else(|| node_id.to_string()),
            Err(_) => node_id.to_string(),
        }
    }

    async fn node_down(&self, node_id: &str) -> bool {
        match self.docker().inspect_node(node_id).await {
            Ok(n) => matches!(
                n.status.and_then(|s| s.state),
                Some(NodeState::DOWN) | Some(NodeState::DISCONNECTED)
            ),
            Err(e) => is_not_found(&e),
        }
    }

    /// Has the task ended? `Some(Ok(end))` when it did, `Some(Err)` for an environment
    /// problem (image missing on a node), `None` while it runs.
    async fn task_end(
        &self,
        service: &str,
        pending_since: &mut Option<Instant>,
    ) -> Option<Result<JobEnd, ExecError>> {
        let task = self.task(service).await?;
        let status = task.status.clone().unwrap_or_default();
        let node = task.node_id.clone().unwrap_or_default();
        let err = status.err.clone().unwrap_or_default();
        let code = status.container_status.as_ref().and_then(|c| c.exit_code);
        match status.state {
            Some(TaskState::COMPLETE) => Some(Ok(JobEnd::Exited(0))),
            Some(TaskState::FAILED) => Some(Ok(match code {
                Some(c) if (0..128).contains(&c) => JobEnd::Exited(c as i32),
                _ => JobEnd::Killed(format!(
                    "the swarm task of {service} on node {} ended from outside ({})",
                    self.node_name(&node).await,
                    if err.is_empty() {
                        "no exit status".into()
                    } else {
                        err
                    }
                )),
            })),
            Some(TaskState::REJECTED) => {
                let node = self.node_name(&node).await;
                if err.contains("No such image") || err.contains("image") {
                    Some(Err(env_err(format!(
                        "node {node} lacks the job image: {err} (make it present on every node: a registry they can pull from with --pull always, or docker save | docker load)"
                    ))))
                } else {
                    Some(Ok(JobEnd::Killed(format!(
                        "node {node} rejected the swarm task of {service}: {err}"
                    ))))
                }
            }
            Some(TaskState::SHUTDOWN) | Some(TaskState::ORPHANED) | Some(TaskState::REMOVE) => {
                Some(Ok(JobEnd::Killed(format!(
                    "the swarm task of {service} was stopped from outside ({})",
                    status.state.map(|s| s.to_string()).unwrap_or_default()
                ))))
            }
            Some(TaskState::PENDING) | Some(TaskState::NEW) | Some(TaskState::ALLOCATED)
                if !err.is_empty() =>
            {
                let since = *pending_since.get_or_insert_with(Instant::now);
                (since.elapsed() > PENDING_LIMIT).then(|| {
                    Err(env_err(format!(
                        "the swarm cannot place job {service}: {err}"
                    )))
                })
            }
            _ => {
                if !node.is_empty() && self.node_down(&node).await {
                    let name = self.node_name(&node).await;
                    return Some(Ok(JobEnd::Killed(format!(
                        "node {name} running {service} went away"
                    ))));
                }
                None
            }
        }
    }

    async fn follow(
        &self,
        service: &str,
        sink: &dyn OutputSink,
        cancel: &CancelToken,
    ) -> Result<JobEnd, ExecError> {
        let opts = LogsOptionsBuilder::default()
            .follow(true)
            .stdout(true)
            .stderr(true)
            .build();
        let mut logs = self.docker().service_logs(service, Some(opts));
        let mut logs_open = true;
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        let mut ticks: u64 = 0;
        let mut pending_since = None;
        let mut ended: Option<(Result<JobEnd, ExecError>, Instant)> = None;
        let mut last_output = Instant::now();
        loop {
            tokio::select! {
                item = logs.next(), if logs_open => match item {
                    Some(Ok(chunk)) => {
                        last_output = Instant::now();
                        sink.output(&chunk.into_bytes());
                    }
                    Some(Err(_)) | None => logs_open = false,
                },
                _ = tick.tick() => {
                    ticks += 1;
                    if let Some(reason) = cancel.reason() {
                        let _ = remove_object(self.docker(), &format!("service:{service}")).await;
                        return Ok(JobEnd::Cancelled(reason));
                    }
                    if let Some((_, at)) = &ended {
                        // The log stream may lag behind the task's end: drain it.
                        if !logs_open || (last_output.elapsed() > Duration::from_millis(700))
                            || at.elapsed() > Duration::from_secs(5)
                        {
                            break;
                        }
                    } else if ticks % 3 == 0 {
                        if let Some(end) = self.task_end(service, &mut pending_since).await {
                            ended = Some((end, Instant::now()));
                        }
                    }
                }
            }
        }
        match ended {
            Some((end, _)) => end,
            None => Ok(JobEnd::Killed("the swarm task's state is unknown".into())),
        }
    }

    async fn finish(&self, created: &Created) {
        let mut entries = vec![format!("service:{}", created.service)];
        entries.push(format!("secret:{}", created.secret));
        entries.extend(created.configs.iter().map(|c| format!("config:{c}")));
        for entry in entries {
            // Secrets and configs stay "in use" for a moment after the service goes.
            for attempt in 0..10 {
                match remove_object(self.docker(), &entry).await {
                    Ok(()) => {
                        let (kind, name) = entry.split_once(':').unwrap_or(("", &entry));
                        forget(kind, name);
                        break;
                    }
                    Err(_) if attempt < 9 => tokio::time::sleep(Duration::from_millis(300)).await,
                    Err(_) => {}
                }
            }
        }
    }

    async fn run_async(
        &self,
        job: &JobRun,
        sink: &dyn OutputSink,
        cancel: &CancelToken,
    ) -> Result<JobEnd, ExecError> {
        let layer = match self.inner.job_layer(job, cancel).await? {
            Ok(layer) => layer,
            Err(reason) => return Ok(JobEnd::Cancelled(reason)),
        };
        let created = match self.create(job, &layer).await {
            Ok(c) => c,
            Err(e) => {
                // Whatever was created before the failure goes too (all labelled).
                let _ = self.cleanup_async(&job.run_id, Some(&job.number)).await;
                return Err(e);
            }
        };
        let result = self.follow(&created.service, sink, cancel).await;
        let _ = tokio::time::timeout(Duration::from_secs(20), self.finish(&created)).await;
        result
    }

    /// The engine is a manager; each job's base image is on it (loaded from this
    /// machine's engine when it is not, see [`crate::nodes`]) and its layer built.
    async fn prepare_async(&self, jobs: &[JobRun]) -> Result<(), ExecError> {
        self.check_manager().await?;
        let progress = Progress::new("swarm");
        let mut bases = std::collections::HashSet::new();
        for job in jobs {
            let (base, _) = self.inner.image_for(job);
            if bases.insert(base.clone()) {
                let pull = self.settings().pull;
                crate::nodes::ensure_on_manager(self.docker(), &base, pull, &progress).await?;
            }
            self.inner.layer_for(job, &progress).await?;
        }
        Ok(())
    }

    /// Removes every service, secret and config labelled with the run (and job).
    async fn cleanup_async(&self, run_id: &str, job: Option<&str>) -> Result<(), ExecError> {
        let mut label = vec![format!("{LABEL_RUN}={run_id}")];
        if let Some(job) = job {
            label.push(format!("{LABEL_JOB}={job}"));
        }
        let filter = HashMap::from([("label".to_string(), label)]);
        let docker = self.docker();
        let services = docker
            .list_services(Some(
                ListServicesOptionsBuilder::default()
                    .filters(&filter)
                    .build(),
            ))
            .await
            .map_err(|e| env_err(format!("cannot list services: {}", api_message(&e))))?;
        let mut entries = Vec::new();
        for s in services {
            if let Some(n) = s.spec.and_then(|s| s.name) {
                entries.push(format!("service:{n}"));
            }
        }
        for s in docker
            .list_secrets(Some(
                ListSecretsOptionsBuilder::default()
                    .filters(&filter)
                    .build(),
            ))
            .await
            .unwrap_or_default()
        {
            if let Some(n) = s.spec.and_then(|s| s.name) {
                entries.push(format!("secret:{n}"));
            }
        }
        for c in docker
            .list_configs(Some(
                ListConfigsOptionsBuilder::default()
                    .filters(&filter)
                    .build(),
            ))
            .await
            .unwrap_or_default()
        {
            if let Some(n) = c.spec.and_then(|s| s.name) {
                entries.push(format!("config:{n}"));
            }
        }
        for entry in entries {
            for attempt in 0..10 {
                if remove_object(docker, &entry).await.is_ok() {
                    let (kind, name) = entry.split_once(':').unwrap_or(("", &entry));
                    forget(kind, name);
                    break;
                }
                if attempt < 9 {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
            }
        }
        Ok(())
    }
}

fn absolute(path: &std::path::Path) -> std::path::PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Adds `build.sh` (travis-owned, executable) to the finished home archive.
fn append_script(
    archive: &mut Vec<u8>,
    home: &std::path::Path,
    script: &str,
) -> Result<(), ExecError> {
    // A finished archive ends with two zero blocks; drop them and append.
    let end = archive.len().saturating_sub(1024);
    if archive[end..].iter().all(|b| *b == 0) {
        archive.truncate(end);
    }
    let mut tar = tar::Builder::new(std::mem::take(archive));
    let mut h = tar::Header::new_gnu();
    h.set_size(script.len() as u64);
    h.set_mode(0o755);
    h.set_uid(TRAVIS_UID.into());
    h.set_gid(TRAVIS_UID.into());
    h.set_mtime(0);
    h.set_cksum();
    let rel = home.strip_prefix("/").unwrap_or(home).join("build.sh");
    tar.append_data(&mut h, rel, script.as_bytes())
        .map_err(|e| op_err(format!("cannot pack the job script: {e}")))?;
    *archive = tar
        .into_inner()
        .map_err(|e| op_err(format!("cannot pack the job script: {e}")))?;
    Ok(())
}

impl Executor for SwarmExecutor {
    fn name(&self) -> &str {
        "swarm"
    }

    fn prepare(&self, jobs: &[JobRun], _sink: &dyn OutputSink) -> Result<(), ExecError> {
        self.inner.rt.block_on(self.prepare_async(jobs))
    }

    fn run(
        &self,
        job: &JobRun,
        sink: &dyn OutputSink,
        cancel: &CancelToken,
    ) -> Result<JobEnd, ExecError> {
        self.inner.rt.block_on(self.run_async(job, sink, cancel))
    }

    fn cleanup(&self, run_id: &str) -> Result<(), ExecError> {
        let limit = Duration::from_secs(30);
        crate::engine::bounded_cleanup(&self.inner.rt, "swarm services", limit, async {
            self.cleanup_async(run_id, None).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    #[test]
    fn env_file_quotes_values_and_drops_bad_names() {
        let env = vec![
            ("A".to_string(), "it's $HOME".to_string()),
            ("BAD NAME".to_string(), "x".to_string()),
        ];
        assert!(env_file(&env).ends_with("\nexport A='it'\\''s $HOME'\n"));
        assert_eq!(env_file(&env).lines().count(), 2);
    }
}
