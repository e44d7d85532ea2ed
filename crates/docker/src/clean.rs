//! `travis-local clean`: removes everything travis-local left behind after a crash or
//! `--keep-on-failure` (containers labelled `travis-local.run`, the compose projects of
//! jobs, named `travis-local-…`) and, with `--images`, the cached Travis layers.
//!
//! First it reads the runs' state files ([`travis_local_runner::state`]): for each run
//! whose travis-local process is gone, it stops the host job process groups still
//! running (identity checked by start time; SIGTERM, then SIGKILL), removes the
//! recorded containers and compose projects (this part needs the engine), then the run
//! directory, then the record. Then the engine-label sweep below.

use crate::engine::{api_message, env_err};
use crate::layer::LAYER_REPO;
use crate::owned::{
    compose_projects, owner_alive, remove_compose_project, LABEL_OWNER, LABEL_RUN, NAME_PREFIX,
};
use bollard::query_parameters::{
    ListContainersOptionsBuilder, ListImagesOptionsBuilder, RemoveContainerOptionsBuilder,
    RemoveImageOptionsBuilder,
};
use bollard::Docker;
use std::collections::HashMap;
use std::time::Duration;
use travis_local_runner::executor::ExecError;
use travis_local_runner::state::{self, DirOutcome, Found};

/// What `clean` removed.
#[derive(Debug, Default)]
pub struct Cleaned {
    pub containers: usize,
    pub projects: usize,
    pub images: usize,
    /// Containers of travis-local processes that are still running (spared).
    pub live: usize,
    /// What could not be removed.
    pub problems: Vec<String>,
}

/// Removes all travis-local leftovers (every run, or only `run_id`).
pub async fn clean(
    docker: &Docker,
    run_id: Option<&str>,
    images: bool,
    all: bool,
) -> Result<Cleaned, ExecError> {
    let mut done = Cleaned::default();
    let label = match run_id {
        Some(id) => format!("{LABEL_RUN}={id}"),
        None => LABEL_RUN.to_string(),
    };
    let filter = HashMap::from([("label".to_string(), vec![label])]);
    let list = docker
        .list_containers(Some(
            ListContainersOptionsBuilder::default()
                .all(true)
                .filters(&filter)
                .build(),
        ))
        .await
        .map_err(|e| env_err(format!("cannot list containers: {}", api_message(&e))))?;
    let mut live_projects = Vec::new();
    for c in list {
        let owner = c.labels.as_ref().and_then(|l| l.get(LABEL_OWNER)).cloned();
        if !all && owner.as_deref().is_some_and(owner_alive) {
            done.live += 1;
            if let Some(name) = c.names.as_ref().and_then(|n| n.first()) {
                live_projects.push(name.trim_start_matches('/').to_string());
            }
            continue;
        }
        if let Some(id) = c.id {
            let opts = RemoveContainerOptionsBuilder::default()
                .force(true)
                .v(true)
                .build();
            match docker.remove_container(&id, Some(opts)).await {
                Ok(()) => done.containers += 1,
                Err(e) => done
                    .problems
                    .push(format!("cannot remove container {id}: {}", api_message(&e))),
            }
        }
    }
    let prefix = match run_id {
        Some(id) => format!("{NAME_PREFIX}{}-", crate::owned::sanitize(id)),
        None => NAME_PREFIX.to_string(),
    };
    for project in compose_projects(docker).await {
        if project.starts_with(&prefix) && !live_projects.contains(&project) {
            remove_compose_project(docker, &project).await;
            done.projects += 1;
        }
    }
    if images {
        let filter = HashMap::from([("reference".to_string(), vec![format!("{LAYER_REPO}:*")])]);
        let list = docker
            .list_images(Some(
                ListImagesOptionsBuilder::default().filters(&filter).build(),
            ))
            .await
            .map_err(|e| env_err(format!("cannot list images: {}", api_message(&e))))?;
        // Layers that lost their tag (a concurrent build of the same layer) too.
        let filter = HashMap::from([
            ("label".to_string(), vec!["travis-local.layer".to_string()]),
            ("dangling".to_string(), vec!["true".to_string()]),
        ]);
        let dangling = docker
            .list_images(Some(
                ListImagesOptionsBuilder::default().filters(&filter).build(),
            ))
            .await
            .unwrap_or_default();
        for img in dangling {
            let opts = RemoveImageOptionsBuilder::default().build();
            if docker.remove_image(&img.id, Some(opts), None).await.is_ok() {
                done.images += 1;
            }
        }
        for img in list {
            for tag in img.repo_tags.iter().filter(|t| t.starts_with(LAYER_REPO)) {
                let opts = RemoveImageOptionsBuilder::default().force(true).build();
                match docker.remove_image(tag, Some(opts), None).await {
                    Ok(_) => done.images += 1,
                    Err(e) => done
                        .problems
                        .push(format!("cannot remove image {tag}: {}", api_message(&e))),
                }
            }
        }
    }
    Ok(done)
}

/// What `clean` did with the records of runs whose travis-local process is gone.
#[derive(Debug, Default)]
pub struct StaleCleaned {
    /// One line per run: what was removed.
    pub lines: Vec<String>,
    pub processes: usize,
    pub containers: usize,
    pub projects: usize,
    pub dirs: usize,
    /// Records removed (everything they listed is gone).
    pub records: usize,
    /// What could not be removed (the record is kept for a later `clean`).
    pub problems: Vec<String>,
}

/// How long a leftover host job gets between SIGTERM and SIGKILL.
const HOST_GRACE: Duration = Duration::from_secs(2);

/// Undoes what the stale runs `found` left: host process groups, then (with an engine)
/// containers and compose projects, then the run directory, then the record.
pub fn clean_stale(
    rt: &tokio::runtime::Runtime,
    docker: Option<&Docker>,
    engine_error: Option<&str>,
    found: &[Found],
) -> StaleCleaned {
    let mut done = StaleCleaned::default();
    for f in found {
        let st = &f.state;
        let mut parts = Vec::new();
        let mut problems = Vec::new();
        let mut processes = 0;
        for group in &st.process_groups {
            processes += state::kill_group(group, HOST_GRACE);
        }
        let still: usize = st
            .process_groups
            .iter()
            .map(|g| state::group_members(g).len())
            .sum();
        if still > 0 {
            problems.push(format!("{still} process(es) of its jobs survived SIGKILL"));
        }
        if processes > 0 {
            parts.push(format!("stopped {processes} job process(es)"));
        }
        done.processes += processes;
        if st.needs_engine() {
            match docker {
                Some(d) => {
                    let (c, p, errs) = rt.block_on(remove_recorded(d, st));
                    if c > 0 {
                        parts.push(format!("removed {c} container(s)"));
                    }
                    if p > 0 {
                        parts.push(format!("removed {p} compose project(s)"));
                    }
                    done.containers += c;
                    done.projects += p;
                    problems.extend(errs);
                    // Swarm objects of `--executor swarm`: services first (their
                    // tasks hold the secrets and configs).
                    let mut objects = st.swarm_objects.clone();
                    objects.sort_by_key(|o| !o.starts_with("service:"));
                    let mut removed = 0;
                    for entry in &objects {
                        match rt.block_on(crate::swarm::remove_object(d, entry)) {
                            Ok(()) => removed += 1,
                            Err(e) => problems.push(e),
                        }
                    }
                    if removed > 0 {
                        parts.push(format!("removed {removed} swarm object(s)"));
                    }
                }
                None => problems.push(format!(
                    "its containers ({}) were not removed: {}",
                    st.containers.join(", "),
                    engine_error.unwrap_or("the Docker engine is unreachable")
                )),
            }
        }
        if problems.is_empty() {
            match state::remove_run_dir(st) {
                Ok(DirOutcome::Removed) => {
                    parts.push(format!("removed {}", st.run_dir.display()));
                    done.dirs += 1;
                }
                Ok(DirOutcome::Kept) => parts.push(format!(
                    "kept {} (the run was started with --keep)",
                    st.run_dir.display()
                )),
                Ok(DirOutcome::AlreadyGone) => {}
                Err(e) => problems.push(e),
            }
        }
        if problems.is_empty() {
            match state::forget(f) {
                Ok(()) => done.records += 1,
                Err(e) => problems.push(e),
            }
        }
        if parts.is_empty() {
            parts.push("nothing was left".into());
        }
        done.lines.push(format!(
            "stale run {} ({} executor, travis-local pid {} is gone): {}",
            st.run_id,
            st.executor,
            st.pid,
            parts.join(", ")
        ));
        for p in problems {
            done.problems.push(format!("run {}: {p}", st.run_id));
        }
    }
    done
}

/// Removes the containers and compose projects a record lists.
async fn remove_recorded(docker: &Docker, st: &state::RunState) -> (usize, usize, Vec<String>) {
    let (mut containers, mut projects, mut errs) = (0, 0, Vec::new());
    for name in &st.containers {
        let opts = RemoveContainerOptionsBuilder::default()
            .force(true)
            .v(true)
            .build();
        match docker.remove_container(name, Some(opts)).await {
            Ok(()) => containers += 1,
            Err(e) if crate::engine::is_not_found(&e) => {}
            Err(e) => errs.push(format!(
                "cannot remove container {name}: {}",
                api_message(&e)
            )),
        }
    }
    let existing = compose_projects(docker).await;
    for project in &st.compose_projects {
        if existing.contains(project) {
            remove_compose_project(docker, project).await;
            projects += 1;
        }
    }
    (containers, projects, errs)
}
